// Apply walks each root of the plan once, computes each path's target ACLs,
// and queues the paths that differ; each batch is journaled and fsynced, then
// changed. The fsync of one batch runs on a helper thread while the walk
// fills the next (a batch is changed only once its own fsync returned).
// Restore replays a journal backwards.
#include "perms/apply.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>

#include "perms/journal.hpp"
#include "perms/target.hpp"
#include "perms/walk.hpp"

namespace gatehouse::perms {
namespace {

// Paths per journal fsync: fsync latency dominates a large apply, but each
// queued path holds a descriptor, so the batch stays well inside RLIMIT_NOFILE.
constexpr std::size_t kMaxBatch = 4096;
constexpr std::size_t kMinBatch = 64;
constexpr std::size_t kSpareFds = 256;

std::size_t batch_size() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kMaxBatch;
  const std::size_t room = limit.rlim_cur > kSpareFds + kMinBatch ? limit.rlim_cur - kSpareFds : kMinBatch;
  return std::clamp(room / 2, kMinBatch, kMaxBatch);  // two batches hold descriptors at once
}

std::string describe(const AclSpec& access, const std::optional<AclSpec>& def) {
  return "access " + access.text() + " default " + (def ? def->text() : "-");
}

Error at(Error e, const std::string& path) {
  e.target = path;
  return e;
}

struct Pending {
  std::string path;
  UniqueFd fd;
  Target target;
  bool access_differs = false;
};

class Applier {
 public:
  Applier(const Plan& plan, TargetModel model, const ApplyOptions& options)
      : plan_(plan), model_(std::move(model)), options_(options) {}

  Result<ApplyReport> run() {
    if (auto s = create_relocations(); !s) return std::unexpected(s.error());
    for (const auto& [root, depth] : model_.roots()) {
      auto done = walk(root, depth, [this](Node& node) { return visit(node); });
      if (!done) {
        if (done.error().errnum == ENOENT && done.error().target == root.string()) {
          report_.missing.push_back(root.string());
          continue;
        }
        return std::unexpected(done.error());
      }
    }
    if (auto s = rotate(); !s) return std::unexpected(s.error());
    if (auto s = finish_inflight(); !s) return std::unexpected(s.error());
    return std::move(report_);
  }

 private:
  Status create_relocations() {
    for (const auto& r : plan_.relocations) {
      std::error_code ec;
      if (std::filesystem::exists(r.proposed, ec)) continue;
      if (options_.dry_run) {
        report_.created.push_back(r.proposed.string());
        continue;
      }
      std::filesystem::create_directories(r.proposed, ec);
      if (ec) return std::unexpected(Error::sys("create folder", r.proposed.string(), ec.value()));
      std::filesystem::permissions(r.proposed, std::filesystem::perms::owner_all, ec);
      report_.created.push_back(r.proposed.string());
    }
    return {};
  }

  Status visit(Node& node) {
    ++report_.examined;
    const bool is_dir = S_ISDIR(node.st.st_mode);
    auto access = read_access_acl(node.fd.get());
    if (!access) return std::unexpected(at(access.error(), node.path));
    std::optional<AclSpec> def;
    if (is_dir) {
      auto d = read_default_acl(node.fd.get());
      if (!d) return std::unexpected(at(d.error(), node.path));
      def = *d;
    }
    Target t = model_.target(node.path, node.st, *access, def);
    const bool access_differs = !(t.access == *access);
    const bool default_differs = t.manage_default && t.default_acl != def;
    if (!access_differs && !default_differs) return {};
    if (!t.manage_default) t.default_acl = def;
    ++report_.changed;
    if (options_.dry_run) {
      report_.changes.push_back(PathChange{node.path, describe(*access, def), describe(t.access, t.default_acl)});
      return {};
    }
    if (!writer_) {
      auto w = BackupWriter::create(options_.state_dir);
      if (!w) return std::unexpected(w.error());
      writer_.emplace(std::move(*w));
      report_.backup_id = writer_->id();
    }
    writer_->add(BackupRecord{node.path, node.st.st_mode, node.st.st_uid, node.st.st_gid, access->text(),
                              def ? def->text() : "-"});
    pending_.push_back(Pending{node.path, std::move(node.fd), std::move(t), access_differs});
    return pending_.size() >= batch_ ? rotate() : Status{};
  }

  // The batch in flight is changed once its fsync is done; the filled one is
  // written to the journal and its fsync started in the background.
  Status rotate() {
    if (auto s = finish_inflight(); !s) return s;
    if (pending_.empty()) return {};
    if (auto s = writer_->write_pending(); !s) return s;
    const BackupWriter* writer = &*writer_;
    sync_ = std::async(std::launch::async, [writer] { return writer->datasync(); });
    inflight_ = std::move(pending_);
    pending_.clear();
    return {};
  }

  Status finish_inflight() {
    if (!sync_.valid()) return {};
    if (auto s = sync_.get(); !s) return s;
    for (auto& p : inflight_) {
      if (auto s = change(p); !s) return s;
      if (options_.after_change) options_.after_change(++applied_);
    }
    inflight_.clear();
    return {};
  }

  Status change(const Pending& p) {
    if (p.access_differs) {
      if (auto s = write_access_acl(p.fd.get(), p.target.access); !s) return std::unexpected(at(s.error(), p.path));
    }
    if (p.target.manage_default) {
      if (auto s = write_default_acl(p.fd.get(), p.target.default_acl); !s) return std::unexpected(at(s.error(), p.path));
    }
    return {};
  }

  const Plan& plan_;
  TargetModel model_;
  const ApplyOptions& options_;
  ApplyReport report_;
  std::optional<BackupWriter> writer_;
  std::vector<Pending> pending_;
  std::vector<Pending> inflight_;
  std::future<Status> sync_;
  std::size_t applied_ = 0;
  std::size_t batch_ = batch_size();
};

// Owner first (chown clears set-id bits), then ACLs, then the full mode.
Status restore_one(const BackupRecord& r) {
  auto fd = open_nofollow(r.path);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return std::unexpected(Error::sys("stat", r.path));
  if ((st.st_uid != r.uid || st.st_gid != r.gid) && fchownat(fd->get(), "", r.uid, r.gid, AT_EMPTY_PATH) != 0) {
    return std::unexpected(Error::sys("chown", r.path));
  }
  if (auto s = write_acl_text(fd->get(), false, r.access); !s) return std::unexpected(at(s.error(), r.path));
  if (S_ISDIR(st.st_mode)) {
    if (auto s = write_acl_text(fd->get(), true, r.default_acl); !s) return std::unexpected(at(s.error(), r.path));
  }
  if (chmod(fd_path(fd->get()).c_str(), r.mode & 07777) != 0) return std::unexpected(Error::sys("chmod", r.path));
  return {};
}

}  // namespace

Result<ApplyReport> apply(const Plan& plan, const ApplyOptions& options) {
  auto ids = resolve_accounts(plan);
  if (!ids) return std::unexpected(ids.error());
  return Applier(plan, TargetModel(plan, std::move(*ids)), options).run();
}

Result<RestoreReport> restore(const Path& state_dir, const std::optional<std::string>& id) {
  RestoreReport report;
  if (id) {
    report.backup_id = *id;
  } else {
    auto ids = list_backups(state_dir);
    if (!ids) return std::unexpected(ids.error());
    if (ids->empty()) return std::unexpected(Error::logic("restore", backups_dir(state_dir).string(), "no backup"));
    report.backup_id = ids->back();
  }
  auto records = read_backup(state_dir, report.backup_id);
  if (!records) return std::unexpected(records.error());
  // Backwards, so the oldest state of a path recorded twice wins.
  for (auto it = records->rbegin(); it != records->rend(); ++it) {
    auto done = restore_one(*it);
    if (!done && done.error().errnum == ENOENT) {
      report.missing.push_back(it->path);
      continue;
    }
    if (!done) return std::unexpected(done.error());
    ++report.restored;
  }
  return report;
}

}  // namespace gatehouse::perms

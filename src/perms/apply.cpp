// Apply walks each root of the plan once, computes each path's target ACLs,
// and queues the paths that differ; each batch is journaled and fsynced, then
// changed. The fsync of one batch runs on a helper thread while the walk
// fills the next (a batch is changed only once its own fsync returned).
// Restore replays a journal backwards.
//
// Folders are opened (to list them) and handled through libacl on their
// descriptor. Files are never opened: one fstatat and one getxattrat on their
// name, relative to the held folder descriptor and without following a
// symlink; files of one folder that carry the same mode and ACL bytes share
// one computed target (the plan cannot tell them apart), so an unchanged file
// costs two syscalls and a changed one a third (setxattrat).
#include "perms/apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <unordered_set>

#include "perms/helper_thread.hpp"
#include "perms/journal.hpp"
#include "perms/target.hpp"
#include "perms/walk.hpp"
#include "perms/xattr.hpp"

namespace gatehouse::perms {
namespace {

// Paths per journal fsync: fsync latency dominates a large apply, but each
// queued folder holds a descriptor, so the batch stays well inside RLIMIT_NOFILE.
constexpr std::size_t kMaxBatch = 4096;
constexpr std::size_t kMinBatch = 64;
constexpr std::size_t kSpareFds = 256;
// Distinct (mode, ACL) shapes remembered per folder; real folders have a few.
constexpr std::size_t kMaxShapes = 16;
// Below this many entries (or changes) a folder (or batch) is not split
// between the two threads: the hand-over would cost more than it saves.
constexpr std::size_t kSplitAt = 64;

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

// A file as probed (fstatat, then its access ACL xattr), by either thread.
struct Probe {
  struct stat st {};
  const char* failed = nullptr;  // the operation that failed, errno in `err`
  int err = 0;
  bool has_acl = false;
  std::string acl;
};

// One path to change. Folders: `name` is empty and fds[slot] is the folder
// itself; files: fds[slot] is their folder and `name` their entry in it.
struct Pending {
  std::string path;
  std::size_t slot = 0;
  std::string name;
  Target target;      // folders
  std::string xattr;  // files: the access ACL bytes to set
  bool access_differs = false;
};

struct Batch {
  std::vector<UniqueFd> fds;
  std::vector<Pending> items;
  std::uint64_t folder = 0;  // the folder listing whose descriptor is fds[folder_slot]
  std::size_t folder_slot = 0;
};

// What a file of a given shape (mode, ACL bytes) in the folder being listed
// needs: computed for the first such file, reused for the others.
struct Shape {
  mode_t mode = 0;
  bool has_acl = false;
  std::string acl;
  bool differs = false;
  std::string target_xattr;
  std::string before_text;              // for the journal
  std::string before_desc, after_desc;  // for a dry run
};

class Applier {
 public:
  Applier(const Plan& plan, TargetModel model, const ApplyOptions& options)
      : plan_(plan), model_(std::move(model)), options_(options) {
    for (const auto& g : plan.grants) exact_.insert(g.path.string());
    for (const auto& c : plan.closed) exact_.insert(c.path.string());
  }

  Result<ApplyReport> run() {
    if (auto s = create_relocations(); !s) return std::unexpected(s.error());
    for (const auto& [root, depth] : model_.roots()) {
      if (auto s = visit_root(root, depth); !s) return std::unexpected(s.error());
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

  Status visit_root(const Path& root, Depth depth) {
    const std::string path = root.string();
    auto fd = open_nofollow(root);
    if (!fd && fd.error().errnum == ENOENT) {
      report_.missing.push_back(path);
      return {};
    }
    if (!fd) return std::unexpected(fd.error());
    struct stat st {};
    if (fstat(fd->get(), &st) != 0) return std::unexpected(Error::sys("stat", path));
    UniqueFd dir;
    if (S_ISDIR(st.st_mode) && depth != Depth::Self) {
      dir = UniqueFd(openat(fd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir) return std::unexpected(Error::sys("open folder", path));
    }
    if (auto s = visit_node(path, std::move(*fd), st); !s) return s;
    return dir ? list_folder(dir.get(), path, depth) : Status{};
  }

  // A root or a folder, through libacl on its own descriptor.
  Status visit_node(const std::string& path, UniqueFd fd, const struct stat& st) {
    ++report_.examined;
    auto access = read_access_acl(fd.get());
    if (!access) return std::unexpected(at(access.error(), path));
    std::optional<AclSpec> def;
    if (S_ISDIR(st.st_mode)) {
      auto d = read_default_acl(fd.get());
      if (!d) return std::unexpected(at(d.error(), path));
      def = *d;
    }
    Target t = model_.target(path, st, *access, def);
    const bool access_differs = !(t.access == *access);
    const bool default_differs = t.manage_default && t.default_acl != def;
    if (!access_differs && !default_differs) return {};
    if (!t.manage_default) t.default_acl = def;
    ++report_.changed;
    if (options_.dry_run) {
      report_.changes.push_back(PathChange{path, describe(*access, def), describe(t.access, t.default_acl)});
      return {};
    }
    if (auto s = journal(BackupRecord{path, st.st_mode, st.st_uid, st.st_gid, access->text(), def ? def->text() : "-"});
        !s) {
      return s;
    }
    pending_.fds.push_back(std::move(fd));
    pending_.items.push_back(Pending{path, pending_.fds.size() - 1, {}, std::move(t), {}, access_differs});
    return pending_.items.size() >= batch_ ? rotate() : Status{};
  }

  Status list_folder(int dir_fd, const std::string& path, Depth depth) {
    auto entries = list_entries(dir_fd, path);
    if (!entries) return std::unexpected(entries.error());
    const std::uint64_t listing = ++listings_;
    const std::string prefix = path == "/" ? path : path + "/";
    std::vector<Probe> probes(entries->size());
    split(entries->size(), [&](std::size_t from, std::size_t to, XattrAt& xattr) {
      for (std::size_t i = from; i < to; ++i) {
        if ((*entries)[i].type != DT_DIR) probe(dir_fd, (*entries)[i].name, probes[i], xattr);
      }
    });
    std::vector<Shape> shapes;
    std::string child;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const auto& [name, type] = (*entries)[i];
      if (type == DT_DIR && depth != Depth::Tree) continue;
      child.assign(prefix).append(name);
      Probe& p = probes[i];
      if (type == DT_DIR) {
        auto s = visit_folder(dir_fd, name, child, depth);
        if (!s) return std::unexpected(s.error());
        if (*s) continue;
        probe(dir_fd, name, p, xattr_);  // no longer a folder: a concurrent change
      }
      if (p.err == ENOENT) continue;  // removed while we walk
      if (p.failed != nullptr) return std::unexpected(Error::sys(p.failed, child, p.err));
      if (S_ISLNK(p.st.st_mode)) continue;  // never followed, and links carry no ACL on Linux
      if (S_ISDIR(p.st.st_mode)) {
        if (depth != Depth::Tree) continue;
        auto s = visit_folder(dir_fd, name, child, depth);
        if (!s) return std::unexpected(s.error());
        continue;  // a folder that is no longer one now: left for the next apply
      }
      if (auto s = visit_file(dir_fd, listing, name, child, p, shapes); !s) return s;
    }
    return {};
  }

  static void probe(int dir_fd, const std::string& name, Probe& p, XattrAt& xattr) {
    p = Probe{};
    if (fstatat(dir_fd, name.c_str(), &p.st, AT_SYMLINK_NOFOLLOW) != 0) {
      p.failed = "stat";
      p.err = errno;
      return;
    }
    if (S_ISLNK(p.st.st_mode) || S_ISDIR(p.st.st_mode)) return;
    auto has = xattr.get(dir_fd, name.c_str(), kAccessXattr, p.acl);
    if (!has) {
      p.failed = "read ACL";
      p.err = has.error().errnum;
      return;
    }
    p.has_acl = *has;
  }

  // Runs f(from, to, xattr) over [0, n), in two halves on two threads when n is large.
  template <class F>
  void split(std::size_t n, F&& f) {
    if (n < kSplitAt) {
      f(0, n, xattr_);
      return;
    }
    const std::size_t mid = n / 2;
    helper_.post([&] { f(mid, n, helper_xattr_); });
    f(0, mid, xattr_);
    helper_.wait();
  }

  // Opens `name` as a folder (never through a symlink), visits it and what
  // lies below; false when it is not a folder (the caller takes it as a file).
  Result<bool> visit_folder(int dir_fd, const std::string& name, const std::string& path, Depth depth) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOTDIR || errno == ELOOP || errno == ENOENT) return false;
      return std::unexpected(Error::sys("open folder", path));
    }
    if (depth != Depth::Tree) return true;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return std::unexpected(Error::sys("stat", path));
    UniqueFd node(dup(fd.get()));
    if (!node) return std::unexpected(Error::sys("dup", path));
    if (auto s = visit_node(path, std::move(node), st); !s) return std::unexpected(s.error());
    if (auto s = list_folder(fd.get(), path, depth); !s) return std::unexpected(s.error());
    return true;
  }

  Status visit_file(int dir_fd, std::uint64_t listing, const std::string& name, const std::string& path, const Probe& p,
                    std::vector<Shape>& shapes) {
    ++report_.examined;
    const struct stat& st = p.st;
    auto shape = shape_of(path, p, shapes);
    if (!shape) return std::unexpected(shape.error());
    const Shape& s = **shape;
    if (!s.differs) return {};
    ++report_.changed;
    if (options_.dry_run) {
      report_.changes.push_back(PathChange{path, s.before_desc, s.after_desc});
      return {};
    }
    if (auto j = journal(BackupRecord{path, st.st_mode, st.st_uid, st.st_gid, s.before_text, "-"}); !j) return j;
    if (pending_.fds.empty() || pending_.folder != listing) {
      UniqueFd fd(dup(dir_fd));
      if (!fd) return std::unexpected(Error::sys("dup", path));
      pending_.fds.push_back(std::move(fd));
      pending_.folder = listing;
      pending_.folder_slot = pending_.fds.size() - 1;
    }
    pending_.items.push_back(Pending{path, pending_.folder_slot, name, {}, s.target_xattr, true});
    return pending_.items.size() >= batch_ ? rotate() : Status{};
  }

  // The shape of a file as it is now, computed once per folder unless the
  // path is one the plan names itself.
  Result<const Shape*> shape_of(const std::string& path, const Probe& p, std::vector<Shape>& shapes) {
    const struct stat& st = p.st;
    const bool has_acl = p.has_acl;
    const std::string& acl = p.acl;
    const mode_t mode = st.st_mode & 07777;
    const bool named = exact_.contains(path);
    if (!named) {
      for (const auto& s : shapes) {
        if (s.mode == mode && s.has_acl == has_acl && (!has_acl || s.acl == acl)) return &s;
      }
    }
    std::optional<AclSpec> access = has_acl ? decode_acl(acl) : acl_from_mode(st.st_mode);
    if (!access) return std::unexpected(Error::logic("read ACL", path, "not a POSIX ACL"));
    const Target t = model_.target(path, st, *access, std::nullopt);
    Shape s{mode, has_acl, has_acl ? acl : std::string(), !(t.access == *access), encode_acl(t.access), access->text(),
            {},   {}};
    if (options_.dry_run) {
      s.before_desc = describe(*access, std::nullopt);
      s.after_desc = describe(t.access, std::nullopt);
    }
    if (named || shapes.size() >= kMaxShapes) {
      scratch_ = std::move(s);
      return &scratch_;
    }
    shapes.push_back(std::move(s));
    return &shapes.back();
  }

  Status journal(const BackupRecord& record) {
    if (!writer_) {
      auto w = BackupWriter::create(options_.state_dir);
      if (!w) return std::unexpected(w.error());
      writer_.emplace(std::move(*w));
      report_.backup_id = writer_->id();
    }
    writer_->add(record);
    return {};
  }

  // The batch in flight is changed once its fsync is done; the filled one is
  // written to the journal and its fsync started in the background.
  Status rotate() {
    if (auto s = finish_inflight(); !s) return s;
    if (pending_.items.empty()) return {};
    if (auto s = writer_->write_pending(); !s) return s;
    BackupWriter* writer = &*writer_;
    sync_ = std::async(std::launch::async, [writer] { return writer->datasync(); });
    inflight_ = std::move(pending_);
    pending_ = Batch{};
    return {};
  }

  Status finish_inflight() {
    if (!sync_.valid()) return {};
    if (auto s = sync_.get(); !s) return s;
    const auto& items = inflight_.items;
    Status first{}, second{};
    split(items.size(), [&](std::size_t from, std::size_t to, XattrAt& xattr) {
      Status& result = from == 0 ? first : second;
      for (std::size_t i = from; i < to && result; ++i) {
        result = change(items[i], xattr);
        if (result && options_.after_change) {
          std::lock_guard lock(hook_mutex_);
          options_.after_change(++applied_);
        }
      }
    });
    inflight_ = Batch{};
    return first ? second : first;
  }

  Status change(const Pending& p, XattrAt& xattr) {
    const int fd = inflight_.fds[p.slot].get();
    if (!p.name.empty()) {
      auto s = xattr.set(fd, p.name.c_str(), kAccessXattr, p.xattr);
      if (!s && s.error().errnum == ENOENT) return {};  // removed since: nothing left to change
      return s ? s : std::unexpected(at(s.error(), p.path));
    }
    if (p.access_differs) {
      if (auto s = write_access_acl(fd, p.target.access); !s) return std::unexpected(at(s.error(), p.path));
    }
    if (p.target.manage_default) {
      if (auto s = write_default_acl(fd, p.target.default_acl); !s) return std::unexpected(at(s.error(), p.path));
    }
    return {};
  }

  const Plan& plan_;
  TargetModel model_;
  const ApplyOptions& options_;
  std::unordered_set<std::string> exact_;  // paths the plan names: their own target, never shared
  XattrAt xattr_;                          // the caller's thread
  XattrAt helper_xattr_;                   // the helper's
  Shape scratch_;
  ApplyReport report_;
  std::optional<BackupWriter> writer_;
  Batch pending_;
  Batch inflight_;
  std::future<Status> sync_;
  std::uint64_t listings_ = 0;
  std::size_t applied_ = 0;  // counted under hook_mutex_
  std::mutex hook_mutex_;
  std::size_t batch_ = batch_size();
  HelperThread helper_;  // last: joined first, while what its tasks use still exists
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
  std::vector<std::string> to_create;
  auto ids = resolve_accounts(plan, options.dry_run ? &to_create : nullptr);
  if (!ids) return std::unexpected(ids.error());
  const AccountIds names = *ids;
  auto report = Applier(plan, TargetModel(plan, std::move(*ids)), options).run();
  if (report) {
    report->to_create = std::move(to_create);
    report->accounts = std::map<std::string, uid_t>(names.begin(), names.end());
  }
  return report;
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

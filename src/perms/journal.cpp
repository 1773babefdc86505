// The backup journal format: one line per path, tab-separated, the path
// percent-escaped (tabs, newlines and '%' can occur in file names):
//   path \t mode(octal) \t uid \t gid \t access ACL \t default ACL
#include "perms/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace gatehouse::perms {
namespace {

constexpr std::string_view kHeader = "gatehouse-perms-backup 1";
constexpr const char* kJournal = "journal";

std::string escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == '%' || c == 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    fields.push_back(line.substr(start, tab - start));
  }
  fields.push_back(line.substr(start));
  return fields;
}

std::string new_id() {
  const auto now = std::chrono::system_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros % 1'000'000));
  return buf;
}

Status fsync_dir(const Path& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || fsync(fd.get()) != 0) return std::unexpected(Error::sys("fsync", dir.string()));
  return {};
}

}  // namespace

Path backups_dir(const Path& state_dir) { return state_dir / "perms" / "backups"; }

Result<BackupWriter> BackupWriter::create(const Path& state_dir) {
  const Path base = backups_dir(state_dir);
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return std::unexpected(Error::sys("create folder", base.string(), ec.value()));
  std::filesystem::permissions(base, std::filesystem::perms::owner_all, ec);  // ACL texts name accounts
  std::string id = new_id();
  Path dir = base / id;
  if (mkdir(dir.c_str(), 0700) != 0) return std::unexpected(Error::sys("create folder", dir.string()));
  Path file = dir / kJournal;
  UniqueFd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) return std::unexpected(Error::sys("create", file.string()));
  BackupWriter writer(std::move(id), std::move(file), std::move(fd));
  // The header goes out with the first records, and the first datasync()
  // makes the new file and folder durable: no fsync on the caller's path.
  writer.pending_ = std::string(kHeader) + "\n";
  return writer;
}

void BackupWriter::add(const BackupRecord& r) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(r.mode & 07777));
  pending_ += escape(r.path) + "\t" + mode + "\t" + std::to_string(r.uid) + "\t" + std::to_string(r.gid) + "\t" +
              r.access + "\t" + r.default_acl + "\n";
}

Status BackupWriter::sync() {
  if (auto s = write_pending(); !s) return s;
  return datasync();
}

Status BackupWriter::datasync() {
  if (fdatasync(fd_.get()) != 0) return std::unexpected(Error::sys("fsync", file_.string()));
  if (!entries_synced_) {  // the journal's name in its folder, and the folder's in backups/
    for (const Path& dir : {file_.parent_path(), file_.parent_path().parent_path()}) {
      if (auto s = fsync_dir(dir); !s) return s;
    }
    entries_synced_ = true;
  }
  return {};
}

Status BackupWriter::write_pending() {
  std::string_view rest = pending_;
  while (!rest.empty()) {
    const ssize_t n = write(fd_.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(Error::sys("write", file_.string()));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  pending_.clear();
  return {};
}

Result<std::vector<std::string>> list_backups(const Path& state_dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  const Path base = backups_dir(state_dir);
  if (!std::filesystem::exists(base, ec)) return ids;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    if (std::filesystem::exists(entry.path() / kJournal)) ids.push_back(entry.path().filename().string());
  }
  if (ec) return std::unexpected(Error::sys("read folder", base.string(), ec.value()));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<BackupRecord>> read_backup(const Path& state_dir, const std::string& id) {
  const Path file = backups_dir(state_dir) / id / kJournal;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(Error::sys("open", file.string(), errno == 0 ? ENOENT : errno));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.find('\n') == std::string::npos && kHeader.starts_with(content)) {
    return std::vector<BackupRecord>{};  // killed before its first write: nothing was changed
  }
  std::istringstream lines(content);
  std::string line;
  if (!std::getline(lines, line) || line != kHeader) {
    return std::unexpected(Error::logic("read backup", file.string(), "not a gatehouse backup journal"));
  }
  std::vector<BackupRecord> records;
  const bool torn_tail = !content.empty() && content.back() != '\n';
  while (std::getline(lines, line)) {
    if (lines.eof() && torn_tail) break;  // the write was cut short: that path was never changed
    const auto f = split_tabs(line);
    if (f.size() != 6) return std::unexpected(Error::logic("read backup", file.string(), "bad line: " + line));
    records.push_back(BackupRecord{unescape(f[0]), static_cast<mode_t>(std::stoul(f[1], nullptr, 8)),
                                   static_cast<uid_t>(std::stoul(f[2])), static_cast<gid_t>(std::stoul(f[3])), f[4],
                                   f[5]});
  }
  return records;
}

}  // namespace gatehouse::perms

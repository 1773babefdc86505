// accounts.json: reading, validating and atomically rewriting it.
#include "accounts/registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace gatehouse::accounts {
namespace {

using nlohmann::json;
constexpr int kFormatVersion = 1;

const char* role_name(Role role) { return role == Role::Pool ? "pool" : "anonymous"; }

json to_json(const RegistryEntry& e) {
  json j = {
      {"name", e.name}, {"uid", e.uid}, {"gid", e.gid}, {"role", role_name(e.role)}, {"created_at", e.created_at}};
  if (e.role == Role::Pool) j["pool"] = e.pool;
  return j;
}

// Throws nlohmann::json::exception on a malformed entry; load() turns it into an Error.
RegistryEntry from_json(const json& j) {
  RegistryEntry e;
  e.name = j.at("name").get<std::string>();
  e.uid = j.at("uid").get<uid_t>();
  e.gid = j.at("gid").get<gid_t>();
  const auto role = j.at("role").get<std::string>();
  if (role == "pool") {
    e.role = Role::Pool;
    e.pool = j.at("pool").get<std::string>();
  } else if (role == "anonymous") {
    e.role = Role::Anonymous;
  } else {
    throw std::invalid_argument("unknown role '" + role + "'");
  }
  e.created_at = j.value("created_at", "");
  return e;
}

// Owns the temporary file's descriptor; unlinks the file unless released.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  int close() { return fd_.close(); }
  void release() { path_.clear(); }

 private:
  UniqueFd fd_;
  std::string path_;
};

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(Error::sys("write", path));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(Error::sys("read", path));
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

Status fsync_dir(const std::filesystem::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return std::unexpected(Error::sys("open", dir.string()));
  if (::fsync(fd.get()) < 0) return std::unexpected(Error::sys("fsync", dir.string()));
  return {};
}

Status ensure_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected(Error::sys("create directory", dir.string(), ec.value()));
  return {};
}

}  // namespace

std::filesystem::path Registry::file_in(const std::filesystem::path& state_dir) { return state_dir / "accounts.json"; }

Result<Registry> Registry::load(const std::filesystem::path& file) {
  Registry registry(file);
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return registry;
    return std::unexpected(Error::sys("open", file.string()));
  }
  auto text = read_all(fd.get(), file.string());
  if (!text) return std::unexpected(text.error());
  try {
    const json doc = json::parse(*text);
    if (doc.at("version").get<int>() != kFormatVersion) {
      return std::unexpected(Error::logic("read registry", file.string(), "unsupported version"));
    }
    for (const auto& item : doc.at("accounts")) registry.entries_.push_back(from_json(item));
  } catch (const std::exception& e) {
    return std::unexpected(Error::logic("read registry", file.string(), e.what()));
  }
  return registry;
}

Status Registry::save() const {
  const auto dir = file_.parent_path().empty() ? std::filesystem::path(".") : file_.parent_path();
  if (auto ok = ensure_dir(dir); !ok) return ok;

  json doc = {{"version", kFormatVersion}, {"accounts", json::array()}};
  for (const auto& e : entries_) doc["accounts"].push_back(to_json(e));
  const std::string text = doc.dump(2) + "\n";

  std::string temp_path = file_.string() + ".XXXXXX";
  const int fd = ::mkostemp(temp_path.data(), O_CLOEXEC);
  if (fd < 0) return std::unexpected(Error::sys("create", temp_path));
  TempFile temp(fd, temp_path);
  if (::fchmod(temp.fd(), 0644) < 0) return std::unexpected(Error::sys("chmod", temp.path()));
  if (auto ok = write_all(temp.fd(), text, temp.path()); !ok) return ok;
  if (::fsync(temp.fd()) < 0) return std::unexpected(Error::sys("fsync", temp.path()));
  if (temp.close() < 0) return std::unexpected(Error::sys("close", temp.path()));
  if (::rename(temp.path().c_str(), file_.c_str()) < 0) {
    return std::unexpected(Error::sys("rename", temp.path() + " to " + file_.string()));
  }
  temp.release();
  return fsync_dir(dir);
}

Result<Registry> Registry::load_locked(const std::filesystem::path& file) {
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  if (auto ok = ensure_dir(dir); !ok) return std::unexpected(ok.error());
  const std::string lock_path = file.string() + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) return std::unexpected(Error::sys("open", lock_path));
  while (::flock(lock.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return std::unexpected(Error::sys("lock", lock_path));
  }
  auto registry = load(file);
  if (registry) registry->lock_ = std::move(lock);
  return registry;
}

const RegistryEntry* Registry::find(std::string_view name) const {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.name == name; });
  return it == entries_.end() ? nullptr : &*it;
}

void Registry::put(RegistryEntry entry) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.name == entry.name; });
  if (it != entries_.end()) {
    *it = std::move(entry);
  } else {
    entries_.push_back(std::move(entry));
  }
}

bool Registry::erase(std::string_view name) {
  return std::erase_if(entries_, [&](const auto& e) { return e.name == name; }) > 0;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gatehouse::accounts

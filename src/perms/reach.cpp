// Reachability through every ancestor, memoised per (account, folder): a walk
// of 100,000 files asks about each folder once per account.
#include "perms/reach.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <mutex>

#include "perms/walk.hpp"

namespace gatehouse::perms {
namespace {

// An id no account has (nor the nobody account, 65534): never an owner or named entry.
constexpr uid_t kNoAccount = static_cast<uid_t>(-3);

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<std::vector<uid_t>> group_members(gid_t gid) {
  static std::mutex lock;  // getpwent's iteration state is process-wide
  std::lock_guard guard(lock);
  std::vector<uid_t> out;
  std::vector<std::string> names;
  if (const group* g = getgrgid(gid)) {
    for (char** m = g->gr_mem; m && *m; ++m) names.emplace_back(*m);
  }
  setpwent();
  while (const passwd* pw = getpwent()) {
    const bool named = std::find(names.begin(), names.end(), pw->pw_name) != names.end();
    if (pw->pw_gid == gid || named) out.push_back(pw->pw_uid);
  }
  endpwent();
  return out;
}

std::string group_name(gid_t gid) {
  if (const group* g = getgrgid(gid)) return g->gr_name;
  return std::to_string(gid);
}

Who outsider() { return Who{kNoAccount, {}}; }
Who outsider_in(gid_t gid) { return Who{kNoAccount, {gid}}; }

void Reach::remember(const std::string& dir, const struct stat& st, const AclSpec& acl) {
  folders_.insert_or_assign(dir, Folder{st, acl});
}

Result<const Reach::Folder*> Reach::folder(const std::string& dir) {
  if (auto it = folders_.find(dir); it != folders_.end()) return &it->second;
  auto fd = open_nofollow(dir);
  if (!fd) return std::unexpected(fd.error());
  Folder f{};
  if (fstat(fd->get(), &f.st) != 0) return std::unexpected(Error::sys("stat", dir));
  auto acl = read_access_acl(fd->get());
  if (!acl) return std::unexpected(acl.error());
  f.acl = *acl;
  return &folders_.insert_or_assign(dir, std::move(f)).first->second;
}

Result<std::optional<std::string>> Reach::stops(const Who& who, const std::string& key, const std::string& dir) {
  if (auto it = memo_.find({key, dir}); it != memo_.end()) return it->second;
  std::optional<std::string> blocker;
  if (dir != "/") {
    auto above = stops(who, key, parent_of(dir));
    if (!above) return above;
    blocker = *above;
  }
  if (!blocker) {
    auto f = folder(dir);
    if (!f) return std::unexpected(f.error());
    const Decision d = decide(who, (*f)->st, (*f)->acl);
    if ((d.bits & 1) == 0) blocker = dir + " (" + d.entry + ")";
  }
  memo_.emplace(std::pair{key, dir}, blocker);
  return blocker;
}

Result<std::optional<std::string>> Reach::blocked(const Who& who, const std::string& key, const std::string& path) {
  if (path == "/") return std::optional<std::string>{};
  return stops(who, key, parent_of(path));
}

}  // namespace gatehouse::perms

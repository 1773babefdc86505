// User database look-ups with the reentrant libc calls; see identity.hpp.
#include "accounts/identity.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

namespace gatehouse::accounts {
namespace {

constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kMaxBuffer = 1 << 20;

// Calls a getXXnam_r-style function, growing the buffer on ERANGE, and
// converts the entry while its strings (which point into the buffer) live.
// Returns std::nullopt when the entry does not exist.
template <class Entry, class Lookup, class Convert>
auto lookup(const std::string& what, Lookup&& call, Convert&& convert)
    -> Result<std::optional<std::invoke_result_t<Convert, const Entry&>>> {
  using Out = std::invoke_result_t<Convert, const Entry&>;
  std::vector<char> buf(kInitialBuffer);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    const int rc = call(&entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    // glibc reports "not found" as rc 0 with found == nullptr; some NSS
    // modules use ENOENT or ESRCH for the same thing.
    if (found == nullptr && (rc == 0 || rc == ENOENT || rc == ESRCH)) return std::optional<Out>{};
    if (rc != 0) return std::unexpected(Error::sys("look up account", what, rc));
    return std::optional<Out>{convert(entry)};
  }
}

Result<std::vector<gid_t>> group_list(const char* name, gid_t gid) {
  int count = 32;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (::getgrouplist(name, gid, groups.data(), &count) < 0) {
    if (count > 65536) return std::unexpected(Error::logic("getgrouplist", name, "too many groups"));
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

// The fields of a passwd entry, copied out of the lookup buffer.
Identity copy_passwd(const passwd& pw) {
  return Identity{pw.pw_name, pw.pw_uid, pw.pw_gid, {}, pw.pw_dir ? pw.pw_dir : "", pw.pw_shell ? pw.pw_shell : ""};
}

Result<Identity> complete(Result<std::optional<Identity>> found, const std::string& what) {
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(Error::sys("look up account", what, ENOENT));
  Identity id = std::move(**found);
  auto groups = group_list(id.name.c_str(), id.gid);
  if (!groups) return std::unexpected(groups.error());
  id.groups = std::move(*groups);
  return id;
}

}  // namespace

void Identity::append_cache_key(std::string& out) const {
  auto add = [&](std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  out.push_back(switches() ? 'u' : 's');  // "as the server" never equals any account
  if (!switches()) return;
  add(uid);
  add(gid);
  add(static_cast<std::uint32_t>(groups.size()));
  for (gid_t g : groups) add(g);
}

Result<Identity> worker_identity(const std::string& account) {
  auto id = resolve_identity(account);
  if (!id) return std::unexpected(id.error());
  if (id->uid == 0)  // a worker must never keep root, whatever the configuration says
    return std::unexpected(Error::logic("run worker as", account, "uid 0 is refused"));
  return id;
}

Result<Identity> resolve_identity(const std::string& name) {
  auto found = lookup<passwd>(
      name,
      [&](passwd* pw, char* buf, std::size_t len, passwd** out) {
        return ::getpwnam_r(name.c_str(), pw, buf, len, out);
      },
      copy_passwd);
  return complete(std::move(found), name);
}

Result<Identity> resolve_identity(uid_t uid) {
  auto found = lookup<passwd>(
      std::to_string(uid),
      [&](passwd* pw, char* buf, std::size_t len, passwd** out) { return ::getpwuid_r(uid, pw, buf, len, out); },
      copy_passwd);
  return complete(std::move(found), "uid " + std::to_string(uid));
}

Result<bool> account_exists(const std::string& name) {
  auto id = resolve_identity(name);
  if (id) return true;
  if (id.error().errnum == ENOENT && id.error().op == "look up account") return false;
  return std::unexpected(id.error());
}

Result<std::optional<gid_t>> find_group(const std::string& name) {
  return lookup<group>(
      name,
      [&](group* gr, char* buf, std::size_t len, group** out) { return ::getgrnam_r(name.c_str(), gr, buf, len, out); },
      [](const group& gr) { return gr.gr_gid; });
}

}  // namespace gatehouse::accounts

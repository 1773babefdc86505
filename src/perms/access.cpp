// acl(5) "ACCESS CHECK ALGORITHM": owner, named users, then the group class
// (owning group and named groups, any match grants), then other.
#include "perms/access.hpp"

#include <algorithm>

namespace gatehouse::perms {

std::string rwx_text(unsigned bits) {
  return std::string{(bits & 4) ? 'r' : '-', (bits & 2) ? 'w' : '-', (bits & 1) ? 'x' : '-'};
}

Decision decide(const Who& who, const struct stat& st, const AclSpec& acl) {
  const unsigned mask = acl.mask.value_or(7);
  const std::string masked = acl.mask ? " (mask " + rwx_text(mask) + ")" : "";
  if (who.uid == st.st_uid) return {acl.user_obj, "owner user::" + rwx_text(acl.user_obj)};
  if (auto it = acl.users.find(who.uid); it != acl.users.end()) {
    return {it->second & mask, "user:" + std::to_string(who.uid) + ":" + rwx_text(it->second) + masked};
  }
  auto member = [&](gid_t gid) { return std::find(who.groups.begin(), who.groups.end(), gid) != who.groups.end(); };
  bool matched = false;
  unsigned bits = 0;
  std::string entries;
  if (member(st.st_gid)) {
    matched = true;
    bits |= acl.group_obj;
    entries = "group::" + rwx_text(acl.group_obj);
  }
  for (const auto& [gid, b] : acl.groups) {
    if (!member(gid)) continue;
    matched = true;
    bits |= b;
    entries += (entries.empty() ? "" : ", ") + ("group:" + std::to_string(gid) + ":" + rwx_text(b));
  }
  if (matched) return {bits & mask, entries + masked};
  return {acl.other, "other::" + rwx_text(acl.other)};
}

}  // namespace gatehouse::perms

// POSIX ACLs as plain values (AclSpec), read and written through libacl on a
// file descriptor opened without following symlinks.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace gatehouse::perms {

// rwx bits are 4 (read), 2 (write), 1 (execute).
struct AclSpec {
  unsigned user_obj = 0;
  unsigned group_obj = 0;
  unsigned other = 0;
  std::map<uid_t, unsigned> users;
  std::map<gid_t, unsigned> groups;
  std::optional<unsigned> mask;  // present whenever there are named entries

  bool operator==(const AclSpec&) const = default;
  bool minimal() const { return users.empty() && groups.empty(); }
  // The mask libacl would compute: the union of the group class.
  unsigned group_class() const;
  // "u::rwx,u:1001:r-x,g::---,m::r-x,o::---" (numeric ids, libacl's short text).
  std::string text() const;
};

// "/proc/self/fd/N": the path through which libacl reaches exactly the object
// an O_PATH descriptor holds, whatever happens to its name meanwhile.
std::string fd_path(int fd);

// The access ACL (built from the mode when the file has none).
Result<AclSpec> read_access_acl(int fd);
// The default ACL of a folder; nullopt when it has none.
Result<std::optional<AclSpec>> read_default_acl(int fd);
Status write_access_acl(int fd, const AclSpec& acl);
Status write_default_acl(int fd, const std::optional<AclSpec>& acl);

// libacl's text forms, for the backup journal (numeric ids; "-" is no ACL).
Result<std::string> read_acl_text(int fd, bool default_acl);
Status write_acl_text(int fd, bool default_acl, const std::string& text);

}  // namespace gatehouse::perms

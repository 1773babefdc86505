// The POSIX ACL access check algorithm (acl(5)), on values: which entry
// decides what an account may do to a file, as the kernel would decide it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "perms/acl.hpp"

namespace gatehouse::perms {

struct Who {
  uid_t uid = 0;
  std::vector<gid_t> groups;  // primary group included
};

struct Decision {
  unsigned bits = 0;  // 4 read, 2 write, 1 execute/traverse
  std::string entry;  // "user:1001:r-x (mask r-x)", "other::---", ...
};

// Root (uid 0) is not special-cased here: callers ask about service accounts.
Decision decide(const Who& who, const struct stat& st, const AclSpec& acl);

std::string rwx_text(unsigned bits);

}  // namespace gatehouse::perms

// POSIX ACLs as the kernel stores them (the system.posix_acl_* xattr bytes),
// and xattr calls on a name relative to a folder descriptor, never following
// a symlink: the hot path of apply, one syscall per read or write, no open().
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "perms/acl.hpp"

namespace gatehouse::perms {

inline constexpr const char* kAccessXattr = "system.posix_acl_access";
inline constexpr const char* kDefaultXattr = "system.posix_acl_default";

// The canonical xattr form (version 2, entries sorted by tag then id), byte
// for byte what libacl hands the kernel and what the kernel hands back.
std::string encode_acl(const AclSpec& acl);
// nullopt when the bytes are not a valid POSIX ACL xattr.
std::optional<AclSpec> decode_acl(std::string_view bytes);
// The access ACL a file without the xattr has: its mode bits.
AclSpec acl_from_mode(mode_t mode);

// getxattrat/setxattrat (Linux 6.13+) on (dir_fd, name) with
// AT_SYMLINK_NOFOLLOW; on older kernels the same calls through
// /proc/self/fd/<dir_fd>/<name> with lgetxattr/lsetxattr, which also never
// follow the last component and resolve the folder through the descriptor.
class XattrAt {
 public:
  // `use_at_syscalls` false forces the /proc fallback (tests cover both).
  explicit XattrAt(bool use_at_syscalls = true) : at_syscalls_(use_at_syscalls) {}

  // Fills `out`; false when the file has no such xattr.
  Result<bool> get(int dir_fd, const char* name, const char* attr, std::string& out);
  Status set(int dir_fd, const char* name, const char* attr, std::string_view value);

 private:
  const char* proc_path(int dir_fd, const char* name);

  bool at_syscalls_;
  std::string path_;  // reused buffer for the fallback's path
};

}  // namespace gatehouse::perms

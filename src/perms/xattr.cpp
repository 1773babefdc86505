// The POSIX ACL xattr layout of <linux/posix_acl_xattr.h>: a little-endian
// u32 version (2), then 8-byte entries {u16 tag, u16 perm, u32 id}.
#include "perms/xattr.hpp"

#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstdint>

namespace gatehouse::perms {
namespace {

constexpr std::uint32_t kVersion = 2;
constexpr std::uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kGroup = 0x08, kMask = 0x10, kOther = 0x20;
constexpr std::uint32_t kUndefinedId = 0xffffffff;
constexpr std::size_t kEntrySize = 8;

// Syscall numbers of getxattrat/setxattrat: new syscalls share one number on
// every architecture, and Debian 12's kernel headers predate them.
constexpr long kSysSetxattrat = 463;
constexpr long kSysGetxattrat = 464;
constexpr unsigned kAtSymlinkNofollow = 0x100;

struct XattrArgs {  // struct xattr_args
  std::uint64_t value;
  std::uint32_t size;
  std::uint32_t flags;
};

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

void put_entry(std::string& out, std::uint16_t tag, unsigned perm, std::uint32_t id) {
  put_le(out, tag, 2);
  put_le(out, perm & 7, 2);
  put_le(out, id, 4);
}

}  // namespace

std::string encode_acl(const AclSpec& acl) {
  std::string out;
  out.reserve(4 + kEntrySize * (4 + acl.users.size() + acl.groups.size()));
  put_le(out, kVersion, 4);
  put_entry(out, kUserObj, acl.user_obj, kUndefinedId);
  for (const auto& [uid, bits] : acl.users) put_entry(out, kUser, bits, uid);  // std::map: ids ascending
  put_entry(out, kGroupObj, acl.group_obj, kUndefinedId);
  for (const auto& [gid, bits] : acl.groups) put_entry(out, kGroup, bits, gid);
  if (acl.mask) put_entry(out, kMask, *acl.mask, kUndefinedId);
  put_entry(out, kOther, acl.other, kUndefinedId);
  return out;
}

std::optional<AclSpec> decode_acl(std::string_view bytes) {
  if (bytes.size() < 4 || (bytes.size() - 4) % kEntrySize != 0 || get_le(bytes, 0, 4) != kVersion) return std::nullopt;
  AclSpec acl;
  for (std::size_t at = 4; at < bytes.size(); at += kEntrySize) {
    const auto tag = static_cast<std::uint16_t>(get_le(bytes, at, 2));
    const unsigned perm = get_le(bytes, at + 2, 2) & 7;
    const std::uint32_t id = get_le(bytes, at + 4, 4);
    switch (tag) {
      case kUserObj:
        acl.user_obj = perm;
        break;
      case kUser:
        acl.users[id] = perm;
        break;
      case kGroupObj:
        acl.group_obj = perm;
        break;
      case kGroup:
        acl.groups[id] = perm;
        break;
      case kMask:
        acl.mask = perm;
        break;
      case kOther:
        acl.other = perm;
        break;
      default:
        return std::nullopt;
    }
  }
  return acl;
}

AclSpec acl_from_mode(mode_t mode) {
  AclSpec acl;
  acl.user_obj = (mode >> 6) & 7;
  acl.group_obj = (mode >> 3) & 7;
  acl.other = mode & 7;
  return acl;
}

const char* XattrAt::proc_path(int dir_fd, const char* name) {
  path_.assign("/proc/self/fd/").append(std::to_string(dir_fd)).append("/").append(name);
  return path_.c_str();
}

Result<bool> XattrAt::get(int dir_fd, const char* name, const char* attr, std::string& out) {
  std::array<char, 512> buf;  // an ACL of 60 entries; larger ones take the second round below
  ssize_t n = -1;
  if (at_syscalls_) {
    XattrArgs args{reinterpret_cast<std::uintptr_t>(buf.data()), buf.size(), 0};
    n = syscall(kSysGetxattrat, dir_fd, name, kAtSymlinkNofollow, attr, &args, sizeof args);
    if (n < 0 && errno == ENOSYS) at_syscalls_ = false;
  }
  if (!at_syscalls_) n = lgetxattr(proc_path(dir_fd, name), attr, buf.data(), buf.size());
  if (n >= 0) {
    out.assign(buf.data(), static_cast<std::size_t>(n));
    return true;
  }
  if (errno == ENODATA) return false;
  if (errno != ERANGE) return std::unexpected(Error::sys("read ACL", name));
  for (;;) {  // rare: ask the size, then read (retry if it grew meanwhile)
    const ssize_t size = lgetxattr(proc_path(dir_fd, name), attr, nullptr, 0);
    if (size < 0) return errno == ENODATA ? Result<bool>(false) : std::unexpected(Error::sys("read ACL", name));
    out.resize(static_cast<std::size_t>(size));
    n = lgetxattr(path_.c_str(), attr, out.data(), out.size());
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      return true;
    }
    if (errno != ERANGE) return std::unexpected(Error::sys("read ACL", name));
  }
}

Status XattrAt::set(int dir_fd, const char* name, const char* attr, std::string_view value) {
  int rc = -1;
  if (at_syscalls_) {
    XattrArgs args{reinterpret_cast<std::uintptr_t>(value.data()), static_cast<std::uint32_t>(value.size()), 0};
    rc = static_cast<int>(syscall(kSysSetxattrat, dir_fd, name, kAtSymlinkNofollow, attr, &args, sizeof args));
    if (rc < 0 && errno == ENOSYS) at_syscalls_ = false;
  }
  if (!at_syscalls_) rc = lsetxattr(proc_path(dir_fd, name), attr, value.data(), value.size(), 0);
  if (rc != 0) return std::unexpected(Error::sys("set access ACL", name));
  return {};
}

}  // namespace gatehouse::perms

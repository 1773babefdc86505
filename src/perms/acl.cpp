// libacl behind value types: conversion between acl_t and AclSpec.
#include "perms/acl.hpp"

#include <acl/libacl.h>
#include <sys/acl.h>
#include <unistd.h>

#include <memory>

namespace gatehouse::perms {
namespace {

struct AclFree {
  void operator()(void* p) const { acl_free(p); }
};
using AclPtr = std::unique_ptr<struct __acl_ext, AclFree>;

acl_type_t type_of(bool default_acl) { return default_acl ? ACL_TYPE_DEFAULT : ACL_TYPE_ACCESS; }

unsigned perm_bits(acl_entry_t entry) {
  acl_permset_t set = nullptr;
  acl_get_permset(entry, &set);
  return (acl_get_perm(set, ACL_READ) == 1 ? 4u : 0u) | (acl_get_perm(set, ACL_WRITE) == 1 ? 2u : 0u) |
         (acl_get_perm(set, ACL_EXECUTE) == 1 ? 1u : 0u);
}

AclSpec to_spec(acl_t acl) {
  AclSpec spec;
  acl_entry_t entry = nullptr;
  for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1; which = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(entry, &tag);
    const unsigned bits = perm_bits(entry);
    switch (tag) {
      case ACL_USER_OBJ:
        spec.user_obj = bits;
        break;
      case ACL_GROUP_OBJ:
        spec.group_obj = bits;
        break;
      case ACL_OTHER:
        spec.other = bits;
        break;
      case ACL_MASK:
        spec.mask = bits;
        break;
      case ACL_USER: {
        auto* id = static_cast<uid_t*>(acl_get_qualifier(entry));
        spec.users[*id] = bits;
        acl_free(id);
        break;
      }
      case ACL_GROUP: {
        auto* id = static_cast<gid_t*>(acl_get_qualifier(entry));
        spec.groups[*id] = bits;
        acl_free(id);
        break;
      }
      default:
        break;
    }
  }
  return spec;
}

std::string rwx(unsigned bits) {
  return std::string{(bits & 4) ? 'r' : '-', (bits & 2) ? 'w' : '-', (bits & 1) ? 'x' : '-'};
}

bool add_entry(acl_t* acl, acl_tag_t tag, const void* qualifier, unsigned bits) {
  acl_entry_t entry = nullptr;
  acl_permset_t set = nullptr;
  if (acl_create_entry(acl, &entry) != 0 || acl_set_tag_type(entry, tag) != 0) return false;
  if (qualifier != nullptr && acl_set_qualifier(entry, qualifier) != 0) return false;
  if (acl_get_permset(entry, &set) != 0 || acl_clear_perms(set) != 0) return false;
  if ((bits & 4) && acl_add_perm(set, ACL_READ) != 0) return false;
  if ((bits & 2) && acl_add_perm(set, ACL_WRITE) != 0) return false;
  if ((bits & 1) && acl_add_perm(set, ACL_EXECUTE) != 0) return false;
  return acl_set_permset(entry, set) == 0;
}

// Built entry by entry: no text parsing, no user database lookups.
AclPtr to_acl(const AclSpec& spec) {
  acl_t acl = acl_init(static_cast<int>(4 + spec.users.size() + spec.groups.size()));
  if (acl == nullptr) return nullptr;
  AclPtr owned(acl);
  bool ok = add_entry(&acl, ACL_USER_OBJ, nullptr, spec.user_obj) &&
            add_entry(&acl, ACL_GROUP_OBJ, nullptr, spec.group_obj) && add_entry(&acl, ACL_OTHER, nullptr, spec.other);
  for (const auto& [uid, bits] : spec.users) ok = ok && add_entry(&acl, ACL_USER, &uid, bits);
  for (const auto& [gid, bits] : spec.groups) ok = ok && add_entry(&acl, ACL_GROUP, &gid, bits);
  if (spec.mask) ok = ok && add_entry(&acl, ACL_MASK, nullptr, *spec.mask);
  owned.release();
  owned.reset(acl);  // acl_create_entry may have moved it
  return ok ? std::move(owned) : nullptr;
}

Result<AclPtr> from_text(const std::string& text, int fd) {
  AclPtr acl(acl_from_text(text.c_str()));
  if (!acl) return std::unexpected(Error::sys("parse ACL", text + " for " + fd_path(fd)));
  return acl;
}

}  // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

unsigned AclSpec::group_class() const {
  unsigned bits = group_obj;
  for (const auto& [id, b] : users) bits |= b;
  for (const auto& [id, b] : groups) bits |= b;
  return bits;
}

std::string AclSpec::text() const {
  std::string out = "u::" + rwx(user_obj);
  for (const auto& [id, b] : users) out += ",u:" + std::to_string(id) + ":" + rwx(b);
  out += ",g::" + rwx(group_obj);
  for (const auto& [id, b] : groups) out += ",g:" + std::to_string(id) + ":" + rwx(b);
  if (mask) out += ",m::" + rwx(*mask);
  out += ",o::" + rwx(other);
  return out;
}

// acl_get_fd/acl_set_fd work on descriptors opened for reading; an O_PATH
// descriptor answers EBADF and goes through its /proc/self/fd path instead.
Result<AclSpec> read_access_acl(int fd) {
  AclPtr acl(acl_get_fd(fd));
  if (!acl && errno == EBADF) acl.reset(acl_get_file(fd_path(fd).c_str(), ACL_TYPE_ACCESS));
  if (!acl) return std::unexpected(Error::sys("read access ACL", fd_path(fd)));
  return to_spec(acl.get());
}

Result<std::optional<AclSpec>> read_default_acl(int fd) {
  AclPtr acl(acl_get_file(fd_path(fd).c_str(), ACL_TYPE_DEFAULT));
  if (!acl) return std::unexpected(Error::sys("read default ACL", fd_path(fd)));
  if (acl_entries(acl.get()) <= 0) return std::optional<AclSpec>{};
  return std::optional<AclSpec>{to_spec(acl.get())};
}

Status write_access_acl(int fd, const AclSpec& spec) {
  AclPtr acl = to_acl(spec);
  if (!acl) return std::unexpected(Error::sys("build ACL", spec.text()));
  if (acl_set_fd(fd, acl.get()) == 0) return {};
  if (errno == EBADF && acl_set_file(fd_path(fd).c_str(), ACL_TYPE_ACCESS, acl.get()) == 0) return {};
  return std::unexpected(Error::sys("set access ACL", fd_path(fd)));
}

Status write_default_acl(int fd, const std::optional<AclSpec>& spec) {
  const std::string path = fd_path(fd);
  if (!spec) return write_acl_text(fd, true, "-");
  AclPtr acl = to_acl(*spec);
  if (!acl) return std::unexpected(Error::sys("build ACL", spec->text()));
  if (acl_set_file(path.c_str(), ACL_TYPE_DEFAULT, acl.get()) != 0)
    return std::unexpected(Error::sys("set default ACL", path));
  return {};
}

Result<std::string> read_acl_text(int fd, bool default_acl) {
  AclPtr acl(acl_get_file(fd_path(fd).c_str(), type_of(default_acl)));
  if (!acl) return std::unexpected(Error::sys("read ACL", fd_path(fd)));
  if (default_acl && acl_entries(acl.get()) <= 0) return std::string("-");
  std::unique_ptr<char, AclFree> text(acl_to_any_text(acl.get(), nullptr, ',', TEXT_ABBREVIATE | TEXT_NUMERIC_IDS));
  if (!text) return std::unexpected(Error::sys("format ACL", fd_path(fd)));
  return std::string(text.get());
}

Status write_acl_text(int fd, bool default_acl, const std::string& text) {
  const std::string path = fd_path(fd);
  if (default_acl && text == "-") {
    if (acl_delete_def_file(path.c_str()) != 0) return std::unexpected(Error::sys("remove default ACL", path));
    return {};
  }
  auto acl = from_text(text, fd);
  if (!acl) return std::unexpected(acl.error());
  if (acl_set_file(path.c_str(), type_of(default_acl), acl->get()) != 0) {
    return std::unexpected(Error::sys(default_acl ? "set default ACL" : "set access ACL", path));
  }
  return {};
}

}  // namespace gatehouse::perms

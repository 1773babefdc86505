// Resolving an account name to the numeric credentials the kernel checks:
// uid, primary gid and supplementary groups.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace gatehouse::accounts {

struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary gid included
  std::string home;
  std::string shell;

  bool operator==(const Identity&) const = default;
};

// Looks `name` up in the user database (getpwnam_r, getgrouplist). A missing
// account is an error with errnum ENOENT and op "look up account".
Result<Identity> resolve_identity(const std::string& name);

// Same by uid (for the invoking user in single-user mode).
Result<Identity> resolve_identity(uid_t uid);

// Whether an account of that name exists; lookup failures other than "no such
// account" are errors.
Result<bool> account_exists(const std::string& name);

// Whether a group of that name exists, and its gid.
Result<std::optional<gid_t>> find_group(const std::string& name);

}  // namespace gatehouse::accounts

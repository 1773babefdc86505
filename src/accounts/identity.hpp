// THE identity vocabulary: an account as the kernel checks it (uid, primary
// gid, supplementary groups), and its look-up in the user database.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace gatehouse::accounts {

// The one credentials type: static files are opened as one (per-thread
// fsuid/fsgid/groups), PHP workers run as one. A default-constructed Identity
// (empty name) is the server's own account: nothing is switched, which is
// what single-user mode and the unit tests of the static side use.
struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary gid included
  std::string home;
  std::string shell;

  bool operator==(const Identity&) const = default;

  // False for the server's own account.
  bool switches() const { return !name.empty(); }
  // Appends bytes that differ between any two identities the kernel could
  // tell apart (uid, gid and every group), so a cache of what one identity
  // opened never answers another: equal keys mean equal access rights.
  void append_cache_key(std::string& out) const;
};

// The php-cgi worker set a request goes to: worker sets are keyed by
// (pool, account the workers run as); each has the pool's limits.
struct WorkerKey {
  std::string pool;
  std::string account;

  bool operator==(const WorkerKey&) const = default;
  auto operator<=>(const WorkerKey&) const = default;
};

// Looks `name` up in the user database (getpwnam_r, getgrouplist). A missing
// account is an error with errnum ENOENT and op "look up account".
Result<Identity> resolve_identity(const std::string& name);

// Same by uid (for the invoking user in single-user mode).
Result<Identity> resolve_identity(uid_t uid);

// The account a PHP worker runs as, or an error naming it (op "look up
// account"); uid 0 is refused whatever the configuration says.
Result<Identity> worker_identity(const std::string& account);

// Whether an account of that name exists; lookup failures other than "no such
// account" are errors.
Result<bool> account_exists(const std::string& name);

// Whether a group of that name exists, and its gid.
Result<std::optional<gid_t>> find_group(const std::string& name);

}  // namespace gatehouse::accounts

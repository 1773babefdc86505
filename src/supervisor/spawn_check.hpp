// What the supervisor lets the front ask for: a SPAWN is checked against the
// loaded configuration (pool index, account, uid), never trusted (issue 9).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "accounts/grant.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "supervisor/protocol.hpp"

namespace gatehouse::supervisor {

// The worker sets a configuration can ask for without a password: each pool's
// own account and, per application, the account its anonymous PHP runs as.
std::set<accounts::WorkerKey> anonymous_worker_sets(const config::Config& config);

struct SpawnRules {
  const config::Config* config = nullptr;
  std::set<accounts::WorkerKey> allowed;  // anonymous_worker_sets
  std::set<std::string> authenticated;    // accounts PAM (in the supervisor) granted
  // name -> uid, as the system says now; nullopt: no such account
  std::function<std::optional<uid_t>(const std::string&)> uid_of;
};

// The worker set a SPAWN may start, or why not (EPERM; detail for the log):
// pool index out of range, empty or unknown account, uid 0, a uid that is not
// the account's, an account neither the configuration nor PAM gave this pool
// (an authenticated account only for a pool with fastcgi.impersonate).
Result<accounts::WorkerKey> check_spawn(const SpawnRules& rules, const Spawn& request);

}  // namespace gatehouse::supervisor

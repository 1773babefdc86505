// Creating and removing the accounts a configuration needs: one per pool with
// ApplicationPoolIdentity (gh-pool-<name>) and the anonymous account (IUSR).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "accounts/identity.hpp"
#include "accounts/provision_ids.hpp"
#include "accounts/registry.hpp"
#include "config/model.hpp"

namespace gatehouse::accounts {

// One account the configuration needs, and for what.
struct AccountNeed {
  std::string account;
  Role role = Role::Pool;
  std::string pool;          // Role::Pool: the pool's name
  bool auto_created = true;  // Gatehouse creates it when missing; false: identity = "<existing account>"
  PinnedIds ids;             // uid/gid the configuration pins (auto-created accounts only)
};

// Pure: the accounts `config` needs, pools in file order then the anonymous
// account. Refuses two pools mapped to one generated account, a generated
// account equal to the anonymous one or to another pool's explicit identity,
// a pool whose identity is the anonymous account, and invalid names.
Result<std::vector<AccountNeed>> plan_accounts(const config::Config& config);

// The resolved accounts of a configuration.
struct AccountSet {
  Identity anonymous;
  std::map<std::string, Identity, std::less<>> pools;  // by pool name
  std::vector<std::string> created;                    // accounts this call created

  const Identity* pool(std::string_view pool_name) const;
};

// Makes sure every account `config` needs exists: creates the missing
// auto-created ones with useradd (system account, own group, no home, shell
// /usr/sbin/nologin, no password) and records them in `registry` (saved after
// each creation). An explicit identity must already exist. No pool may run as
// uid 0. Creating needs root: without it a missing account is an EPERM error.
// Pinned ids are used when creating and checked always: a uid or gid held by
// another name, or the account existing with other ids, is an error.
// Load `registry` with Registry::load_locked: other processes may do the same.
Result<AccountSet> ensure_accounts(const config::Config& config, Registry& registry);

// Like ensure_accounts but never creates anything: every account must exist.
Result<AccountSet> resolve_accounts(const config::Config& config);

// Who in `config` uses `account`: "pool shop", "anonymous"; empty when unused.
std::vector<std::string> users_of(const config::Config& config, std::string_view account);

struct RemoveReport {
  std::vector<std::string> removed;
  std::vector<Error> failed;  // accounts that could not be removed stay registered
};

// Deletes (userdel, then groupdel of a leftover own group) every registered
// account that `config` no longer uses, and drops it from the registry. An
// account whose uid no longer matches the registry is left alone (reported).
Result<RemoveReport> remove_unused(const config::Config& config, Registry& registry);

// Runs useradd for one system account as described above and resolves it;
// with pinned ids, useradd --uid and an own group made with groupadd --gid.
// Exposed for tests and tools that need a throw-away account.
Result<Identity> create_system_account(const std::string& name, const PinnedIds& ids = {});

// userdel `name`, then groupdel its primary group of the same name if userdel
// left it behind.
// An account that does not exist is not an error.
Status delete_system_account(const std::string& name);

}  // namespace gatehouse::accounts

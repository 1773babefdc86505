// The accounts a configuration needs, as the permission commands show them
// ("to be created", "exists", "existing account, never created") and as
// `perms apply` makes them: set-up in one command.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::cli {

struct AccountState {
  std::string name;
  std::string role;  // "pool wiki", "anonymous"
  bool exists = false;
  bool managed = true;  // Gatehouse creates it; false: identity = "<existing user>"
  unsigned uid = 0;     // when it exists
};

// Throws CLI::RuntimeError(exit_code) with the reason on stderr when the
// configuration's accounts cannot be assigned (collisions, invalid names).
std::vector<AccountState> account_states(const config::Config& config, int exit_code);

// "accounts: gh-pool-wiki (pool wiki) to be created; ..." one per line.
std::string format_account_states(const std::vector<AccountState>& states);

// Creates the missing Gatehouse-managed accounts (needs root), printing what
// it did; an identity = "<existing user>" is never created: a missing one
// stops here with its name. Throws CLI::RuntimeError(exit_code) on failure.
void create_plan_accounts(const config::Config& config, std::ostream& out, int exit_code);

}  // namespace gatehouse::cli

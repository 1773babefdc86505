// Account states and creation for `perms plan` and `perms apply`.
#include "cli/plan_accounts.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "accounts/identity.hpp"
#include "accounts/provision.hpp"
#include "accounts/registry.hpp"

namespace gatehouse::cli {
namespace {

[[noreturn]] void fail(const std::string& message, int exit_code) {
  std::cerr << "perms: " << message << "\n";
  throw CLI::RuntimeError(exit_code);
}

}  // namespace

std::vector<AccountState> account_states(const config::Config& config, int exit_code) {
  auto needs = accounts::plan_accounts(config);
  if (!needs) fail(needs.error().message(), exit_code);
  std::vector<AccountState> out;
  for (const auto& need : *needs) {
    AccountState s{need.account, need.role == accounts::Role::Pool ? "pool " + need.pool : "anonymous", false,
                   need.auto_created, 0};
    if (auto id = accounts::resolve_identity(need.account)) {
      s.exists = true;
      s.uid = id->uid;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string format_account_states(const std::vector<AccountState>& states) {
  std::string out = "Accounts:\n";
  for (const auto& s : states) {
    std::string state;
    if (!s.managed) {
      state = s.exists ? fmt::format("existing account (uid {}), identity = \"{}\": never created by Gatehouse", s.uid,
                                     s.name)
                       : fmt::format(
                             "MISSING: identity = \"{}\" names no account; create it yourself "
                             "(Gatehouse never creates an identity it was given)",
                             s.name);
    } else {
      state = s.exists ? fmt::format("exists (uid {})", s.uid) : "to be created (gatehouse perms apply creates it)";
    }
    out += fmt::format("  {:<24} {:<16} {}\n", s.name, s.role, state);
  }
  return out;
}

void create_plan_accounts(const config::Config& config, std::ostream& out, int exit_code) {
  const auto states = account_states(config, exit_code);
  bool to_create = false;
  for (const auto& s : states) {
    if (!s.managed && !s.exists)
      fail("pool account " + s.name + " (" + s.role + ", identity = \"" + s.name +
               "\") does not exist; Gatehouse never creates an identity it was given: create it (useradd "
               "--system " +
               s.name + "), or set identity = \"ApplicationPoolIdentity\"",
           exit_code);
    to_create = to_create || !s.exists;
  }
  for (const auto& s : states)
    if (!s.managed) out << "using existing account " << s.name << " (" << s.role << "), never created by Gatehouse\n";
  if (!to_create) return;
  if (::geteuid() != 0) fail("creating the accounts " + std::string("this plan needs requires root"), exit_code);
  auto registry = accounts::Registry::load_locked(accounts::Registry::file_in(config.server.state_dir));
  if (!registry) fail(registry.error().message(), exit_code);
  auto set = accounts::ensure_accounts(config, *registry);
  if (!set) fail(set.error().message(), exit_code);
  for (const auto& name : set->created) {
    auto id = accounts::resolve_identity(name);
    out << "created account " << name << (id ? fmt::format(" (uid {})", id->uid) : "") << "\n";
  }
}

}  // namespace gatehouse::cli

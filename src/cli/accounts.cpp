// `gatehouse accounts list | create | remove --unused`: the accounts Gatehouse created
// (from the registry in the state directory) and which pools still use them.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "accounts/identity.hpp"
#include "accounts/provision.hpp"
#include "accounts/registry.hpp"
#include "cli/apply_output.hpp"
#include "cli/commands.hpp"
#include "cli/owned_files.hpp"
#include "config/load.hpp"

namespace gatehouse::cli {
namespace {

struct AccountsOptions {
  std::string config_file;
  bool json = false;
  bool unused = false;
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "accounts: " << message << "\n";
  throw CLI::RuntimeError(1);
}

config::Config load_config(const std::string& file) {
  try {
    // Folders may be gone already when cleaning up accounts: only the
    // pools and the anonymous account matter here.
    return config::load_file(file, config::LoadOptions{.check_paths = false});
  } catch (const config::ConfigError& e) {
    for (const auto& problem : e.problems()) std::cerr << problem.str() << "\n";
    throw CLI::RuntimeError(1);
  }
}

// `for_change`: hold the registry's lock until done, as other Gatehouse
// processes may be creating accounts at the same time.
accounts::Registry load_registry(const config::Config& config, bool for_change) {
  const auto file = accounts::Registry::file_in(config.server.state_dir);
  auto registry = for_change ? accounts::Registry::load_locked(file) : accounts::Registry::load(file);
  if (!registry) fail(registry.error().message());
  return std::move(*registry);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "ok", "missing" or "uid changed" for a registered account, from the system.
std::string system_state(const accounts::RegistryEntry& entry) {
  auto id = accounts::resolve_identity(entry.name);
  if (!id) return id.error().errnum == ENOENT ? "missing" : "lookup failed";
  if (id->uid != entry.uid || id->gid != entry.gid) return fmt::format("now uid {} gid {}", id->uid, id->gid);
  return "ok";
}

std::string role_text(const accounts::RegistryEntry& entry) {
  return entry.role == accounts::Role::Anonymous ? "anonymous" : "pool " + entry.pool;
}

// Accounts the configuration uses that Gatehouse did not create: identity =
// "<existing user>", or a gh-pool-/anonymous name that already existed.
struct Foreign {
  std::string name;
  std::string used_by;
  std::string system;  // "uid 33 gid 33" or "missing"
};

std::vector<Foreign> pre_existing(const config::Config& config, const accounts::Registry& registry) {
  std::vector<Foreign> out;
  auto needs = accounts::plan_accounts(config);
  if (!needs) return out;
  for (const auto& need : *needs) {
    if (registry.find(need.account) != nullptr) continue;
    if (std::any_of(out.begin(), out.end(), [&](const Foreign& f) { return f.name == need.account; })) continue;
    auto id = accounts::resolve_identity(need.account);
    out.push_back(Foreign{need.account, join(accounts::users_of(config, need.account)),
                          id                  ? fmt::format("uid {} gid {}", id->uid, id->gid)
                          : need.auto_created ? std::string("missing (to be created)")
                                              : std::string("missing")});
  }
  return out;
}

void print_json(const config::Config& config, const accounts::Registry& registry) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : registry.entries()) {
    const auto users = accounts::users_of(config, e.name);
    out.push_back({{"name", e.name},
                   {"uid", e.uid},
                   {"gid", e.gid},
                   {"created_for", role_text(e)},
                   {"created_at", e.created_at},
                   {"used_by", users},
                   {"unused", users.empty()},
                   {"system", system_state(e)},
                   {"created_by_gatehouse", true}});
  }
  for (const auto& f : pre_existing(config, registry)) {
    out.push_back({{"name", f.name},
                   {"used_by", accounts::users_of(config, f.name)},
                   {"unused", false},
                   {"system", f.system},
                   {"created_by_gatehouse", false}});
  }
  std::cout << out.dump(2) << "\n";
}

void print_table(const config::Config& config, const accounts::Registry& registry) {
  std::cout << "registry: " << registry.file().string() << "\n";
  const auto foreign = pre_existing(config, registry);
  if (registry.entries().empty() && foreign.empty()) {
    std::cout << "Gatehouse has created no accounts, and the configuration uses none.\n";
    return;
  }
  std::vector<std::array<std::string, 7>> rows = {
      {"ACCOUNT", "UID", "GID", "CREATED FOR", "CREATED AT", "USED BY", "SYSTEM"}};
  for (const auto& e : registry.entries()) {
    const auto users = accounts::users_of(config, e.name);
    rows.push_back({e.name, std::to_string(e.uid), std::to_string(e.gid), role_text(e), e.created_at,
                    users.empty() ? "unused" : join(users), system_state(e)});
  }
  for (const auto& f : foreign) {
    auto id = accounts::resolve_identity(f.name);
    rows.push_back({f.name, id ? std::to_string(id->uid) : "-", id ? std::to_string(id->gid) : "-",
                    "pre-existing (not created by Gatehouse)", "-", f.used_by, id ? "ok" : f.system});
  }
  std::array<std::size_t, 7> width{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += fmt::format("{:<{}}  ", row[i], width[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

// A freed uid may be given to the next account created: files it still owns
// would then belong to that account.
void warn_owned_files(const config::Config& config, const std::string& name, uid_t uid) {
  const Owned owned = find_owned(config, uid);
  if (owned.count == 0 && !owned.truncated) return;
  std::string roots;
  for (const auto& r : owned.searched) roots += (roots.empty() ? "" : " ") + shell_quote(r);
  std::cerr << fmt::format("warning: uid {} (was {}) still owns {}{} file(s)", uid, name, owned.count,
                           owned.truncated ? "+" : "");
  if (!owned.examples.empty()) std::cerr << ", e.g. " << join(owned.examples);
  std::cerr << fmt::format(
      "; searched {}{}. The next account given uid {} would own them: chown them to another "
      "account or delete them (find {} -xdev -uid {})\n",
      join(owned.searched), owned.truncated ? " (stopped early: too many files)" : "", uid, roots.empty() ? "/" : roots,
      uid);
}

void run_list(const AccountsOptions& options) {
  const config::Config config = load_config(options.config_file);
  const accounts::Registry registry = load_registry(config, false);
  if (options.json) {
    print_json(config, registry);
  } else {
    print_table(config, registry);
  }
}

void run_create(const AccountsOptions& options) {
  const config::Config config = load_config(options.config_file);
  accounts::Registry registry = load_registry(config, true);
  auto set = accounts::ensure_accounts(config, registry);
  if (!set) fail(set.error().message());
  for (const auto& name : set->created) std::cout << "created " << name << "\n";
  for (const auto& [pool, id] : set->pools) {
    std::cout << fmt::format("pool {}: {} (uid {}, gid {})\n", pool, id.name, id.uid, id.gid);
  }
  std::cout << fmt::format("anonymous: {} (uid {}, gid {})\n", set->anonymous.name, set->anonymous.uid,
                           set->anonymous.gid);
}

void run_remove(const AccountsOptions& options) {
  if (!options.unused) fail("remove: say --unused (only accounts no pool or anonymous setting uses are removed)");
  const config::Config config = load_config(options.config_file);
  if (::geteuid() != 0) fail("remove: deleting accounts needs root");
  accounts::Registry registry = load_registry(config, true);
  const auto entries = registry.entries();  // the uids, before removal drops them
  auto report = accounts::remove_unused(config, registry);
  if (!report) fail(report.error().message());
  for (const auto& name : report->removed) {
    std::cout << "removed " << name << "\n";
    auto entry = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.name == name; });
    if (entry != entries.end()) warn_owned_files(config, entry->name, entry->uid);
  }
  for (const auto& error : report->failed) std::cerr << "accounts: " << error.message() << "\n";
  if (report->removed.empty() && report->failed.empty()) std::cout << "no unused accounts\n";
  if (!report->failed.empty()) throw CLI::RuntimeError(1);
}

}  // namespace

void add_accounts(CLI::App& app) {
  auto options = std::make_shared<AccountsOptions>();
  CLI::App* accounts = app.add_subcommand("accounts", "the accounts Gatehouse created for pools and IUSR");
  accounts->require_subcommand(1);

  CLI::App* list = accounts->add_subcommand("list", "list created accounts, their ids and which pool uses them");
  list->add_option("--config", options->config_file, "the configuration file (TOML)")->required();
  list->add_flag("--json", options->json, "print JSON instead of a table");
  list->callback([options] { run_list(*options); });

  CLI::App* create = accounts->add_subcommand("create", "create the accounts the configuration needs (idempotent)");
  create->add_option("--config", options->config_file, "the configuration file (TOML)")->required();
  create->callback([options] { run_create(*options); });

  CLI::App* remove = accounts->add_subcommand("remove", "delete created accounts the configuration no longer uses");
  remove->add_option("--config", options->config_file, "the configuration file (TOML)")->required();
  remove->add_flag("--unused", options->unused, "remove every created account no pool or anonymous setting uses");
  remove->callback([options] { run_remove(*options); });
}

}  // namespace gatehouse::cli

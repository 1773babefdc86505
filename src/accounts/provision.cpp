// Account provisioning with the shadow-utils tools; see provision.hpp.
#include "accounts/provision.hpp"

#include <unistd.h>

#include <algorithm>

#include "accounts/command.hpp"
#include "accounts/names.hpp"
#include "common/log.hpp"

namespace gatehouse::accounts {
namespace {

constexpr const char* kUseradd = "/usr/sbin/useradd";
constexpr const char* kUserdel = "/usr/sbin/userdel";
constexpr const char* kGroupdel = "/usr/sbin/groupdel";
constexpr const char* kNoLogin = "/usr/sbin/nologin";
constexpr const char* kNoHome = "/nonexistent";
constexpr int kUseraddNameInUse = 9;     // useradd(8) EXIT VALUES
constexpr int kUserdelNoSuchUser = 6;    // userdel(8) EXIT VALUES
constexpr int kGroupdelNoSuchGroup = 6;  // groupdel(8) EXIT VALUES

std::string pool_context(const std::string& pool) { return "[pool " + pool + "]"; }

Error with_context(Error error, const AccountNeed& need) {
  if (need.role == Role::Pool) {
    error.context = pool_context(need.pool);
  } else if (error.context.empty()) {
    error.context = "[accounts.anonymous]";
  }
  return error;
}

// The account's owner in `needs`, for collision messages.
std::string owner_text(const AccountNeed& need) {
  if (need.role == Role::Anonymous) return "the anonymous account ([accounts] anonymous)";
  return "pool '" + need.pool + "'" + (need.auto_created ? "" : " (identity)");
}

Status check_collisions(const std::vector<AccountNeed>& needs) {
  for (std::size_t i = 0; i < needs.size(); ++i) {
    for (std::size_t j = i + 1; j < needs.size(); ++j) {
      const auto& a = needs[i];
      const auto& b = needs[j];
      if (a.account != b.account) continue;
      // Several pools may share one existing account on purpose (IIS's
      // SpecificUser); an account of its own or the anonymous one never.
      const bool shared_explicit = !a.auto_created && !b.auto_created;
      if (shared_explicit && a.role == Role::Pool && b.role == Role::Pool) continue;
      return std::unexpected(
          with_context(Error::logic("assign account", a.account,
                                    owner_text(a) + " and " + owner_text(b) + " would both use it; rename one of them"),
                       a));
    }
  }
  return {};
}

Result<Identity> check_identity(Identity id, const AccountNeed& need) {
  if (id.uid == 0 || id.gid == 0) {
    return std::unexpected(
        with_context(Error::logic("use account", id.name, "uid or gid 0: workers may never run as root"), need));
  }
  return id;
}

Result<Identity> resolve_need(const AccountNeed& need) {
  auto id = resolve_identity(need.account);
  if (!id) {
    Error error = id.error();
    if (error.errnum == ENOENT && !need.auto_created) {
      error = Error::logic("look up account", need.account,
                           "identity = \"" + need.account + "\" names no existing account");
    }
    return std::unexpected(with_context(std::move(error), need));
  }
  return check_identity(std::move(*id), need);
}

void record(Registry& registry, const AccountNeed& need, const Identity& id) {
  registry.put(RegistryEntry{id.name, id.uid, id.gid, need.role, need.pool, utc_timestamp()});
}

// Existing account: use it; keep the registry's uid/gid current if it is ours.
Result<Identity> adopt_existing(const AccountNeed& need, Identity id, Registry& registry) {
  const RegistryEntry* entry = registry.find(id.name);
  if (need.auto_created && entry == nullptr) {
    log::warn("{} account {} exists but was not created by Gatehouse; using it, never deleting it",
              need.role == Role::Pool ? pool_context(need.pool) : "[accounts]", id.name);
  }
  if (entry != nullptr && (entry->uid != id.uid || entry->gid != id.gid)) {
    log::warn("[accounts] account {} now has uid {} gid {} (registry: {} {}); it was recreated outside Gatehouse",
              id.name, id.uid, id.gid, entry->uid, entry->gid);
    RegistryEntry updated = *entry;
    updated.uid = id.uid;
    updated.gid = id.gid;
    registry.put(std::move(updated));
    if (auto ok = registry.save(); !ok) return std::unexpected(ok.error());
  }
  return check_identity(std::move(id), need);
}

Result<Identity> ensure_one(const AccountNeed& need, Registry& registry, std::vector<std::string>& created) {
  if (auto pinned = check_pinned(need.account, need.ids); !pinned)
    return std::unexpected(with_context(pinned.error(), need));
  auto exists = account_exists(need.account);
  if (!exists) return std::unexpected(with_context(exists.error(), need));
  if (*exists || !need.auto_created) {
    auto id = resolve_need(need);
    if (!id) return id;
    return adopt_existing(need, std::move(*id), registry);
  }
  if (::geteuid() != 0) {
    return std::unexpected(
        with_context(Error{"create account", need.account, EPERM, {}, "run as root, or serve --single-user"}, need));
  }
  auto id = create_system_account(need.account, need.ids);
  if (!id) return std::unexpected(with_context(id.error(), need));
  record(registry, need, *id);
  if (auto ok = registry.save(); !ok) return std::unexpected(ok.error());
  log::info("{} created account {} (uid {}, gid {})", need.role == Role::Pool ? pool_context(need.pool) : "[accounts]",
            id->name, id->uid, id->gid);
  created.push_back(id->name);
  return check_identity(std::move(*id), need);
}

template <class Resolve>
Result<AccountSet> build_set(const config::Config& config, Resolve&& resolve) {
  auto needs = plan_accounts(config);
  if (!needs) return std::unexpected(needs.error());
  AccountSet set;
  for (const auto& need : *needs) {
    auto id = resolve(need, set.created);
    if (!id) return std::unexpected(id.error());
    if (need.role == Role::Anonymous) {
      set.anonymous = std::move(*id);
    } else {
      set.pools.emplace(need.pool, std::move(*id));
    }
  }
  return set;
}

// Removes one registered account after checking it is still the one we made.
Status remove_registered(const RegistryEntry& entry) {
  auto id = resolve_identity(entry.name);
  if (id && id->uid != entry.uid) {
    return std::unexpected(Error::logic("remove account", entry.name,
                                        "its uid is now " + std::to_string(id->uid) + ", not " +
                                            std::to_string(entry.uid) + " as registered; left alone"));
  }
  if (!id && id.error().errnum != ENOENT) return std::unexpected(id.error());
  return delete_system_account(entry.name);
}

}  // namespace

const Identity* AccountSet::pool(std::string_view pool_name) const {
  auto it = pools.find(pool_name);
  return it == pools.end() ? nullptr : &it->second;
}

Result<std::vector<AccountNeed>> plan_accounts(const config::Config& config) {
  std::vector<AccountNeed> needs;
  for (const auto& pool : config.pools) {
    needs.push_back(
        AccountNeed{pool_account(pool), Role::Pool, pool.name, pool.uses_pool_identity(), pinned_for_pool(pool)});
  }
  const std::string& anonymous = config.accounts.anonymous;
  needs.push_back(AccountNeed{anonymous, Role::Anonymous, "", true, pinned_for_anonymous(config)});
  for (const auto& need : needs) {
    if (need.account.empty()) {
      return std::unexpected(with_context(Error::logic("assign account", "", "the account name is empty"), need));
    }
    // Only names Gatehouse would create must follow its rules; an existing
    // account may be named however the system allows.
    if (need.auto_created && need.role == Role::Anonymous && !is_valid_account_name(need.account)) {
      return std::unexpected(
          with_context(Error::logic("assign account", need.account,
                                    "not a valid account name (lowercase letters, digits, _ and -, starting with a "
                                    "letter or _, at most 32 characters)"),
                       need));
    }
  }
  if (auto ok = check_collisions(needs); !ok) return std::unexpected(ok.error());
  return needs;
}

Result<AccountSet> ensure_accounts(const config::Config& config, Registry& registry) {
  return build_set(config, [&](const AccountNeed& need, std::vector<std::string>& created) {
    return ensure_one(need, registry, created);
  });
}

Result<AccountSet> resolve_accounts(const config::Config& config) {
  return build_set(config, [](const AccountNeed& need, std::vector<std::string>&) { return resolve_need(need); });
}

std::vector<std::string> users_of(const config::Config& config, std::string_view account) {
  std::vector<std::string> users;
  for (const auto& pool : config.pools) {
    if (pool_account(pool) == account) users.push_back("pool " + pool.name);
  }
  if (config.accounts.anonymous == account) users.push_back("anonymous");
  return users;
}

Result<RemoveReport> remove_unused(const config::Config& config, Registry& registry) {
  RemoveReport report;
  const auto entries = registry.entries();  // copy: we erase while iterating
  for (const auto& entry : entries) {
    if (!users_of(config, entry.name).empty()) continue;
    if (auto ok = remove_registered(entry); !ok) {
      report.failed.push_back(ok.error());
      continue;
    }
    registry.erase(entry.name);
    if (auto ok = registry.save(); !ok) return std::unexpected(ok.error());
    log::info("[accounts] removed unused account {} (uid {})", entry.name, entry.uid);
    report.removed.push_back(entry.name);
  }
  return report;
}

Result<Identity> create_system_account(const std::string& name, const PinnedIds& ids) {
  if (auto group = ensure_pinned_group(name, ids); !group) return std::unexpected(group.error());
  std::vector<std::string> argv = {kUseradd,  "--system", "--no-create-home", "--home-dir", kNoHome,
                                   "--shell", kNoLogin};
  if (ids.uid) argv.insert(argv.end(), {"--uid", std::to_string(*ids.uid)});
  if (ids.gid) {
    argv.insert(argv.end(), {"--gid", std::to_string(*ids.gid)});  // the own group made just before
  } else {
    argv.push_back("--user-group");
  }
  argv.push_back(name);
  auto run = run_command(argv);
  if (!run) return std::unexpected(run.error());
  // Exit 9: another process created it between our check and useradd.
  if (run->exit_code != 0 && run->exit_code != kUseraddNameInUse) {
    return std::unexpected(command_error(argv, *run));
  }
  return resolve_identity(name);
}

Status delete_system_account(const std::string& name) {
  auto id = resolve_identity(name);
  if (!id) return id.error().errnum == ENOENT ? Status{} : std::unexpected(id.error());
  const std::vector<std::string> userdel = {kUserdel, name};
  auto run = run_command(userdel);
  if (!run) return std::unexpected(run.error());
  if (run->exit_code != 0 && run->exit_code != kUserdelNoSuchUser) {
    return std::unexpected(command_error(userdel, *run));
  }
  // userdel keeps the user's own group when USERGROUPS_ENAB is off; remove it
  // only if it is that account's primary group, never a same-named stranger.
  auto group = find_group(name);
  if (!group) return std::unexpected(group.error());
  if (!*group || **group != id->gid) return {};
  const std::vector<std::string> groupdel = {kGroupdel, name};
  auto run_group = run_command(groupdel);
  if (!run_group) return std::unexpected(run_group.error());
  if (run_group->exit_code != 0 && run_group->exit_code != kGroupdelNoSuchGroup) {
    return std::unexpected(command_error(groupdel, *run_group));
  }
  return {};
}

}  // namespace gatehouse::accounts

// check_spawn: the supervisor's validation of a SPAWN from the (hostile) front.
#include "supervisor/spawn_check.hpp"

#include <fmt/format.h>

#include "accounts/names.hpp"
#include "accounts/security_model.hpp"

namespace gatehouse::supervisor {
namespace {

Error refuse(std::string detail) {
  Error e = Error::logic("SPAWN from the front", "", std::move(detail));
  e.errnum = EPERM;
  return e;
}

}  // namespace

std::set<accounts::WorkerKey> anonymous_worker_sets(const config::Config& config) {
  std::set<accounts::WorkerKey> out;
  for (const auto& pool : config.pools) out.insert({pool.name, accounts::pool_account(pool)});
  for (const auto& site : config.sites)
    for (const auto& app : site.applications)
      if (auto ids = accounts::resolve_request_identities(config, site, app, std::nullopt)) out.insert(ids->worker);
  return out;
}

Result<accounts::WorkerKey> check_spawn(const SpawnRules& rules, const Spawn& request) {
  const auto& pools = rules.config->pools;
  if (request.pool >= pools.size())
    return std::unexpected(refuse(fmt::format("pool index {} out of range ({} pools)", request.pool, pools.size())));
  const config::Pool& pool = pools[request.pool];
  const std::string account = get(request.account);
  if (request.uid == 0) return std::unexpected(refuse(fmt::format("[pool {}] uid 0 ({})", pool.name, account)));
  if (account.empty()) return std::unexpected(refuse(fmt::format("[pool {}] no account", pool.name)));
  accounts::WorkerKey key{pool.name, account};
  const bool anonymous = rules.allowed.contains(key);
  const bool authenticated = pool.ini.fastcgi_impersonate && rules.authenticated.contains(account);
  if (!anonymous && !authenticated)
    return std::unexpected(
        refuse(fmt::format("[pool {}] account {} is not one this pool runs as", pool.name, account)));
  auto uid = rules.uid_of(account);
  if (!uid) return std::unexpected(refuse(fmt::format("[pool {}] account {} does not exist", pool.name, account)));
  if (*uid == 0) return std::unexpected(refuse(fmt::format("[pool {}] account {} is uid 0", pool.name, account)));
  if (*uid != request.uid)
    return std::unexpected(
        refuse(fmt::format("[pool {}] account {} is uid {}, not {}", pool.name, account, *uid, request.uid)));
  return key;
}

}  // namespace gatehouse::supervisor

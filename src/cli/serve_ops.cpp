// The reloader's builders (the same steps serve takes at start, for a new
// configuration), the admin listener's start and the drain state.
#include "cli/serve_ops.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include "accounts/grant.hpp"
#include "accounts/provision.hpp"
#include "accounts/registry.hpp"
#include "cli/confinement.hpp"
#include "common/log.hpp"
#include "config/load.hpp"
#include "handlers/php_routing.hpp"

namespace gatehouse::cli {

reload::Builders reload_builders(bool single_user, pool::PoolSet& pools) {
  reload::Builders b;
  b.load = [](const std::string& file) { return config::load_file(file); };
  if (!single_user && ::geteuid() == 0)
    b.provision = [](const config::Config& config) -> Status {
      auto registry = accounts::Registry::load_locked(accounts::Registry::file_in(config.server.state_dir));
      if (!registry) return std::unexpected(registry.error());
      auto set = accounts::ensure_accounts(config, *registry);
      if (!set) return std::unexpected(set.error());
      return {};
    };
  b.gate = [single_user](const config::Config& config) {
    return http::AuthGate::create(config, http::AuthGateOptions{.single_user = single_user});
  };
  b.sandbox = [](const config::Config& config) { return sandbox_resolver(config); };
  b.php = [&pools](std::shared_ptr<const config::Config> config) -> http::PhpFactory {
    auto scripts = script_policy(*config);
    return [config, &pools, scripts](boost::asio::any_io_executor executor) {
      auto routing = std::make_unique<handlers::PhpRouting>(*config, pools, std::move(executor));
      routing->set_script_policy(scripts);
      return routing;
    };
  };
  return b;
}

nlohmann::json outcome_json(const reload::Outcome& outcome) {
  nlohmann::json out{
      {"ok", outcome.ok}, {"errors", outcome.errors}, {"changes", outcome.changes}, {"warnings", outcome.warnings}};
  if (!outcome.ok)
    out["error"] = outcome.errors.empty() ? "reload failed" : "the configuration was not reloaded: nothing changed";
  return out;
}

Result<std::unique_ptr<admin::Server>> start_admin(const config::Config& config, pool::PoolSet& pools,
                                                   http::Server& server, admin::Server::Options options) {
  const auto& a = config.server.admin;
  if (a.listen.empty()) return nullptr;
  auto started = admin::Server::start(
      a.ip, a.port,
      [&pools, &server] {
        return admin::Sample{pools.report(), server.site_metrics()};
      },
      std::move(options));
  if (!started) return started;
  log::info("admin listener: http://{0}/metrics (Prometheus), http://{0}/status and http://{0}/ready", a.listen);
  return started;
}

namespace {

// A v4-mapped IPv6 peer is judged as the IPv4 address it carries.
bool allowed(const std::vector<config::IpRange>& ranges, const sockaddr_storage& peer) {
  int family = peer.ss_family;
  const std::uint8_t* bytes = nullptr;
  if (family == AF_INET) {
    bytes = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr);
  } else if (family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr;
    bytes = a.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) family = AF_INET, bytes += 12;
  } else {
    return false;
  }
  for (const auto& range : ranges)
    if (range.contains(family, bytes)) return true;
  return false;
}

}  // namespace

admin::Server::Options admin_options(const config::Config& config, const control::Drain& drain) {
  admin::Server::Options options;
  options.draining = [&drain] { return drain.draining(); };
  if (!config.server.admin.allow.empty())
    options.allow = [ranges = config.server.admin.allow](const sockaddr_storage& peer) {
      return allowed(ranges, peer);
    };
  return options;
}

std::unique_ptr<control::Drain> make_drain(const config::Config& config, const http::Server& server) {
  auto probe = [&server] {
    const auto t = server.traffic();
    return control::TrafficCount{t.arrived, t.in_flight};
  };
  return std::make_unique<control::Drain>(probe, config.server.shutdown_timeout);
}

}  // namespace gatehouse::cli

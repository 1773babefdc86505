// Reload diff: pools by fingerprint and php.ini digest, sites and bindings by name.
#include "reload/diff.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace gatehouse::reload {
namespace {

std::string paths(const std::vector<config::Path>& list) {
  std::string out;
  for (const auto& p : list) out += p.string() + "|";
  return out;
}

std::string site_fingerprint(const config::Site& site) {
  std::string out;
  for (const auto& b : site.bindings) out += b.text + ";";
  for (const auto& app : site.applications)
    out += fmt::format("app {} {} {} {} {};", app.path, app.app_root.string(), app.physical_path.string(), app.pool,
                       paths(app.writable));
  for (const auto& v : site.virtual_directories) out += fmt::format("vdir {} {};", v.path, v.physical_path.string());
  return out;
}

template <typename T, typename Key>
std::set<std::string> names(const std::vector<T>& items, Key key) {
  std::set<std::string> out;
  for (const auto& item : items) out.insert(key(item));
  return out;
}

}  // namespace

IniDigests read_ini_digests(const config::Config& config) {
  IniDigests out;
  for (const auto& pool : config.pools) {
    std::string digest;
    if (!pool.php_ini.empty()) {
      std::ifstream in(pool.php_ini, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (in) digest = fmt::format("{:x}:{}", std::hash<std::string>{}(text.str()), text.str().size());
    }
    out[pool.name] = digest;
  }
  return out;
}

std::string pool_fingerprint(const config::Pool& p) {
  const auto& f = p.fastcgi;
  std::string env;
  for (const auto& [k, v] : f.environment) env += k + "=" + v + ";";
  std::string ini;
  for (const auto& [k, v] : p.ini.values) ini += k + "=" + v + ";";
  return fmt::format("{}|{}|{}|{}|{:o}|{} {} {} {} {} {} {} {} {} {} {}|{} {} {} {}|{} {} {} {}|{}", p.name, p.identity,
                     p.php_cgi.string(), p.php_ini.string(), p.umask, f.max_instances, f.instance_max_requests,
                     f.idle_timeout.count(), f.activity_timeout.count(), f.request_timeout.count(), f.queue_length,
                     f.rapid_fails_per_minute, f.monitor_changes_to ? f.monitor_changes_to->string() : "-",
                     static_cast<int>(f.stderr_mode), f.signal_before_terminate.count(), env, p.sandbox.enabled,
                     paths(p.sandbox.read), paths(p.sandbox.write), paths(p.sandbox.execute), p.limits.memory_bytes,
                     p.limits.instance_memory_bytes, p.limits.max_processes, p.limits.cpu_percent, ini);
}

Diff diff(const config::Config& old_config, const IniDigests& old_ini, const config::Config& next,
          const IniDigests& next_ini) {
  Diff d;
  const auto pool_name = [](const config::Pool& p) { return p.name; };
  const auto site_name = [](const config::Site& s) { return s.name; };
  const auto next_pools = names(next.pools, pool_name);
  for (const auto& old : old_config.pools) {
    if (!next_pools.contains(old.name)) {
      d.retire_pools.push_back(old.name);
      d.changes.push_back(fmt::format("pool {}: removed: its workers finish their requests and stop", old.name));
      continue;
    }
    const config::Pool& now = *next.find_pool(old.name);
    const bool settings = pool_fingerprint(old) != pool_fingerprint(now);
    auto digest = [](const IniDigests& m, const std::string& n) {
      auto it = m.find(n);
      return it == m.end() ? std::string() : it->second;
    };
    const bool ini = digest(old_ini, old.name) != digest(next_ini, old.name);
    if (!settings && !ini) continue;
    d.retire_pools.push_back(old.name);
    d.changes.push_back(fmt::format("pool {}: {} changed: overlapped recycle (new workers take new requests)", old.name,
                                    settings && ini ? "settings and php.ini"
                                    : settings      ? "settings"
                                                    : "php.ini"));
  }
  const auto old_pools = names(old_config.pools, pool_name);
  for (const auto& p : next.pools)
    if (!old_pools.contains(p.name)) d.changes.push_back(fmt::format("pool {}: added", p.name));

  const auto old_sites = names(old_config.sites, site_name);
  const auto next_sites = names(next.sites, site_name);
  for (const auto& s : old_config.sites)
    if (!next_sites.contains(s.name)) d.changes.push_back(fmt::format("site {}: removed", s.name));
  for (const auto& s : next.sites) {
    if (!old_sites.contains(s.name)) {
      d.changes.push_back(fmt::format("site {}: added", s.name));
      continue;
    }
    for (const auto& o : old_config.sites)
      if (o.name == s.name && site_fingerprint(o) != site_fingerprint(s))
        d.changes.push_back(fmt::format("site {}: changed", s.name));
  }
  if (old_config.accounts.anonymous != next.accounts.anonymous)
    d.changes.push_back(
        fmt::format("anonymous account: {} -> {}", old_config.accounts.anonymous, next.accounts.anonymous));

  const auto& os = old_config.server;
  const auto& ns = next.server;
  if (os.threads != ns.threads) d.need_restart.push_back("server.threads");
  if (os.state_dir != ns.state_dir) d.need_restart.push_back("server.state_dir");
  if (os.admin.listen != ns.admin.listen) d.need_restart.push_back("server.admin.listen");
  if (os.log_dir != ns.log_dir) d.need_restart.push_back("server.log_dir (error.log; access logs follow now)");
  return d;
}

}  // namespace gatehouse::reload

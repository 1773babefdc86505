// The keys of a farm: [server] trusted_proxies, pinned uids and gids, [node],
// and the cross-checks between them (sites behind a balancer, pinned-id
// clashes, Redis session stores shared between pools).
#include <algorithm>
#include <set>

#include "config/farm_keys.hpp"
#include "config/networks.hpp"
#include "config/summary.hpp"

namespace gatehouse::config {
namespace {

// The highest id we accept: 2^31 - 1 (glibc and shadow-utils' own limit for
// useradd -u); 0 is root, refused everywhere accounts are planned.
constexpr std::uint64_t kMaxId = 2147483647;

void read_id(TableReader& t, std::string_view key, std::optional<std::uint32_t>& out) {
  std::uint64_t id = 0;
  const std::size_t before = t.state()->problems.size();
  t.count(key, id, 1, kMaxId);
  if (t.state()->problems.size() == before) out = static_cast<std::uint32_t>(id);
}

const Keys<Node> kNodeKeys = {
    field("name", &Node::name),
};

}  // namespace

void read_trusted_proxies(TableReader& t, std::string_view key, Server& server) {
  std::vector<std::string> texts;
  t.strings(key, texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (auto range = parse_ip_range(texts[i])) {
      server.trusted_proxies.push_back(*range);
    } else {
      const std::string item = std::string{key} + "[" + std::to_string(i) + "]";
      t.state()->add(t.state()->pos_or(t.key(item), t.pos()), t.key(item), range.error());
    }
  }
}

void read_pool_uid(TableReader& t, std::string_view key, Pool& pool) { read_id(t, key, pool.uid); }
void read_pool_gid(TableReader& t, std::string_view key, Pool& pool) { read_id(t, key, pool.gid); }
void read_anonymous_uid(TableReader& t, std::string_view key, Accounts& a) { read_id(t, key, a.anonymous_uid); }
void read_anonymous_gid(TableReader& t, std::string_view key, Accounts& a) { read_id(t, key, a.anonymous_gid); }
void read_front_uid(TableReader& t, std::string_view key, Accounts& a) { read_id(t, key, a.front_uid); }
void read_front_gid(TableReader& t, std::string_view key, Accounts& a) { read_id(t, key, a.front_gid); }

// [node] name, and [node.server] overriding [server] keys for this node.
void read_node(TableReader& root, std::string_view key, Config& config) {
  const toml::table* table = root.table(key);
  if (!table) return;
  TableReader t{*root.state(), *table, root.key(key), "[node]"};
  config.node.declared = true;
  config.node.pos = t.pos();
  std::vector<std::string_view> names;
  for (const auto& k : kNodeKeys) names.push_back(k.name);
  for (const auto& k : node_server_keys()) names.push_back(k.name);
  t.reject_unknown(names);
  for (const auto& k : kNodeKeys)
    if (t.has(k.name)) k.read(t, k.name, config.node);
  for (const auto& k : node_server_keys())
    if (t.has(k.name)) k.read(t, k.name, config.server);
}

void check_farm_settings(const Config& config, ReadState& state) {
  // Behind a balancer: someone must be trusted, and one port speaks one way
  // (the PROXY header comes before the Host header that picks the site).
  std::map<std::uint16_t, std::pair<const Site*, std::size_t>> first_on_port;
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const Site& site = config.sites[s];
    const std::string prefix = "sites[" + std::to_string(s) + "].";
    for (const char* key : {"proxy_protocol", "forwarded_headers"}) {
      const bool on = std::string_view{key} == "proxy_protocol" ? site.proxy_protocol : site.forwarded_headers;
      if (on && config.server.trusted_proxies.empty())
        state.add(state.pos_or(prefix + key, site.pos), prefix + key,
                  std::string{key} + " = true needs [server] trusted_proxies (the balancers' addresses)");
    }
    if (site.proxy_protocol &&
        std::any_of(site.bindings.begin(), site.bindings.end(), [](const Binding& b) { return b.https(); }))
      state.add(state.pos_or(prefix + "proxy_protocol", site.pos), prefix + "proxy_protocol",
                "proxy_protocol = true with an https binding: not supported yet (the PROXY header would reach the "
                "TLS handshake); let the balancer pass TLS through with forwarded_headers, or terminate TLS here "
                "without PROXY");
    for (const auto& b : site.bindings) {
      auto [it, fresh] = first_on_port.emplace(b.port, std::pair{&site, s});
      const Site& other = *it->second.first;
      if (fresh || &other == &site) continue;
      if (other.proxy_protocol != site.proxy_protocol || other.forwarded_headers != site.forwarded_headers)
        state.add(state.pos_or(prefix + "proxy_protocol", site.pos), prefix + "proxy_protocol",
                  "sites " + other.name + " and " + site.name + " share port " + std::to_string(b.port) +
                      " but not proxy_protocol / forwarded_headers: a port takes PROXY headers for all or none");
    }
  }
  // Pinned ids: one id, one account.
  std::map<std::uint32_t, std::string> uids;
  auto pin = [&](std::optional<std::uint32_t> id, const std::string& owner, const std::string& key,
                 const SourcePos& fallback) {
    if (!id) return;
    auto [it, fresh] = uids.emplace(*id, owner);
    if (!fresh && it->second != owner)
      state.add(state.pos_or(key, fallback), key,
                "uid " + std::to_string(*id) + " is pinned for both " + it->second + " and " + owner);
  };
  for (std::size_t p = 0; p < config.pools.size(); ++p) {
    const Pool& pool = config.pools[p];
    const std::string key = "pools[" + std::to_string(p) + "]";
    if ((pool.uid || pool.gid) && !pool.uses_pool_identity())
      state.add(state.pos_or(key + (pool.uid ? ".uid" : ".gid"), pool.pos), key + (pool.uid ? ".uid" : ".gid"),
                "uid and gid pin the pool's own account; identity = \"" + pool.identity +
                    "\" is an existing account, whose ids are already set");
    pin(pool.uid, "pool " + pool.name, key + ".uid", pool.pos);
  }
  pin(config.accounts.anonymous_uid, "the anonymous account", "accounts.anonymous_uid", {});
  pin(config.accounts.front_uid, "the front account", "accounts.front_uid", {});
  check_session_stores(config, state);
}

void check_session_stores(const Config& config, ReadState& state) {
  for (const auto& risk : session_store_risks(config)) state.warn(risk.pos, risk.key, risk.message);
}

std::vector<Warning> session_store_risks(const Config& config) {
  std::vector<Warning> out;
  // (server, database, prefix) -> first pool; phpredis' default prefix counts as a prefix.
  std::map<std::tuple<std::string, unsigned, std::string>, const Pool*> seen;
  for (const auto& pool : config.pools) {
    const auto& r = pool.ini.redis_sessions;
    if (!r) continue;
    const SourcePos pos{pool.ini.file.string(), 0, 0};
    if (!r->locking)
      out.push_back({pos, "redis.session.locking_enabled",
                     "pool " + pool.name +
                         ": phpredis session locking is off (its default), so two concurrent requests of one "
                         "user lose each other's session writes; set redis.session.locking_enabled = 1"});
    const std::string prefix = r->prefix_set ? r->prefix : "PHPREDIS_SESSION:";
    auto [it, fresh] = seen.emplace(std::tuple{r->server(), r->database, prefix}, &pool);
    if (!fresh && it->second->name != pool.name && it->second->ini.file != pool.ini.file)
      out.push_back({pos, "session.save_path",
                     "pools " + it->second->name + " and " + pool.name + " keep sessions in one Redis database (" +
                         r->server() + " database " + std::to_string(r->database) + ") with the same key prefix " +
                         in_quotes(prefix) +
                         ": each can read and forge the other's sessions; give each pool its own "
                         "prefix= (or database=) in session.save_path"});
  }
  return out;
}

}  // namespace gatehouse::config

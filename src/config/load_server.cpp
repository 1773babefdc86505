// Reads [server], [server.limits] and [accounts].
#include <algorithm>

#include "config/farm_keys.hpp"
#include "config/keys.hpp"
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

const Keys<Limits> kLimitsKeys = {
    field("max_url_length", &Limits::max_url_length, 1),
    field("max_query_string", &Limits::max_query_string, 0),
    field("max_request_headers", &Limits::max_request_headers, 1),
    field("max_allowed_content_length", &Limits::max_allowed_content_length, 0),
    field("header_timeout", &Limits::header_timeout, Seconds{1}),
    field("keepalive_timeout", &Limits::keepalive_timeout, Seconds{1}),
    field("body_timeout", &Limits::body_timeout, Seconds{1}),
};

const Keys<Server> kServerKeys = {
    field("state_dir", &Server::state_dir),
    field("log_dir", &Server::log_dir),
    field("threads", &Server::threads, 0u, 1024u),
    field("shutdown_timeout", &Server::shutdown_timeout),
    section("limits", "[server.limits]", &Server::limits, kLimitsKeys),
    custom("trusted_proxies", read_trusted_proxies),
};

void read_anonymous(TableReader& t, std::string_view name, Accounts& accounts) {
  t.string(name, accounts.anonymous);
  if (!is_account_name(accounts.anonymous))
    t.problem(name,
              "expected a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got " + in_quotes(accounts.anonymous));
}

const Keys<Accounts> kAccountsKeys = {
    custom("anonymous", read_anonymous),
    custom("anonymous_uid", read_anonymous_uid),
    custom("anonymous_gid", read_anonymous_gid),
};

}  // namespace

const Keys<Server>& node_server_keys() {
  // Where a node keeps its own state and logs, and its thread count: the
  // [server] keys that may differ between nodes without changing behaviour.
  static const Keys<Server> keys = [] {
    Keys<Server> out;
    for (const auto& k : kServerKeys)
      if (k.name == "state_dir" || k.name == "log_dir" || k.name == "threads") out.push_back(k);
    return out;
  }();
  return keys;
}

Key<Config> node_key() { return custom("node", read_node); }
Key<Config> server_key() { return section("server", "[server]", &Config::server, kServerKeys); }
Key<Config> accounts_key() { return section("accounts", "[accounts]", &Config::accounts, kAccountsKeys); }

}  // namespace gatehouse::config

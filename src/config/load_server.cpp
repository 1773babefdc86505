// Reads [server], [server.limits] and [accounts].
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
};

void read_anonymous(TableReader& t, std::string_view name, Accounts& accounts) {
  t.string(name, accounts.anonymous);
  if (!is_account_name(accounts.anonymous))
    t.problem(name,
              "expected a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got " + in_quotes(accounts.anonymous));
}

const Keys<Accounts> kAccountsKeys = {
    custom("anonymous", read_anonymous),
};

}  // namespace

Key<Config> server_key() { return section("server", "[server]", &Config::server, kServerKeys); }
Key<Config> accounts_key() { return section("accounts", "[accounts]", &Config::accounts, kAccountsKeys); }

}  // namespace gatehouse::config

// Reads [server], [server.limits] and [accounts].
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

void read_limits(TableReader& server, Limits& limits) {
  const toml::table* table = server.table("limits");
  if (!table) return;
  TableReader t{*server.state(), *table, server.key("limits"), "[server.limits]"};
  t.reject_unknown({"max_url_length", "max_query_string", "max_request_headers", "max_allowed_content_length",
                    "header_timeout", "keepalive_timeout", "body_timeout"});
  t.count("max_url_length", limits.max_url_length, 1);
  t.count("max_query_string", limits.max_query_string, 0);
  t.count("max_request_headers", limits.max_request_headers, 1);
  t.count("max_allowed_content_length", limits.max_allowed_content_length, 0);
  t.duration("header_timeout", limits.header_timeout, Seconds{1});
  t.duration("keepalive_timeout", limits.keepalive_timeout, Seconds{1});
  t.duration("body_timeout", limits.body_timeout, Seconds{1});
}

}  // namespace

void read_server(TableReader& root, Server& server) {
  const toml::table* table = root.table("server");
  if (!table) return;
  TableReader t{*root.state(), *table, "server", "[server]"};
  t.reject_unknown({"state_dir", "log_dir", "threads", "shutdown_timeout", "limits"});
  t.absolute_path("state_dir", server.state_dir);
  t.absolute_path("log_dir", server.log_dir);
  std::uint64_t threads = server.threads;
  t.count("threads", threads, 0, 1024);
  server.threads = static_cast<unsigned>(threads);
  t.duration("shutdown_timeout", server.shutdown_timeout);
  read_limits(t, server.limits);
}

void read_accounts(TableReader& root, Accounts& accounts) {
  const toml::table* table = root.table("accounts");
  if (!table) return;
  TableReader t{*root.state(), *table, "accounts", "[accounts]"};
  t.reject_unknown({"anonymous"});
  t.string("anonymous", accounts.anonymous);
  if (t.has("anonymous") && !is_account_name(accounts.anonymous))
    t.problem("anonymous", "expected a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got " +
                               in_quotes(accounts.anonymous));
}

}  // namespace gatehouse::config

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

void read_min_version(TableReader& t, std::string_view name, Tls& tls) {
  t.string(name, tls.min_version);
  if (tls.min_version != "1.2" && tls.min_version != "1.3")
    t.problem(name,
              "expected \"1.2\" or \"1.3\" (TLS 1.0 and 1.1 are never offered), got " + in_quotes(tls.min_version));
}

void read_cipher_list(TableReader& t, std::string_view name, std::string& out) {
  t.string(name, out);
  if (out.empty() || out.find_first_of(" \t\r\n") != std::string::npos)
    t.problem(name, "expected an OpenSSL cipher list without spaces (\"A:B:C\"), got " + in_quotes(out));
}

const Keys<Tls> kTlsKeys = {
    {"ciphers", [](TableReader& t, std::string_view k, Tls& tls) { read_cipher_list(t, k, tls.ciphers); }},
    {"ciphersuites", [](TableReader& t, std::string_view k, Tls& tls) { read_cipher_list(t, k, tls.ciphersuites); }},
    custom("min_version", read_min_version),
    field("ticket_key_rotation", &Tls::ticket_key_rotation, Seconds{60}),
    field("http2", &Tls::http2),
    field("ocsp_stapling", &Tls::ocsp_stapling),
};

const Keys<Server> kServerKeys = {
    field("state_dir", &Server::state_dir),
    field("log_dir", &Server::log_dir),
    field("threads", &Server::threads, 0u, 1024u),
    field("shutdown_timeout", &Server::shutdown_timeout),
    section("limits", "[server.limits]", &Server::limits, kLimitsKeys),
    section("tls", "[server.tls]", &Server::tls, kTlsKeys),
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

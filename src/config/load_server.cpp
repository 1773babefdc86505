// Reads [server], [server.limits] and [accounts].
#include <arpa/inet.h>

#include <algorithm>

#include "config/farm_keys.hpp"
#include "config/keys.hpp"
#include "config/networks.hpp"
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

// "IP:PORT" with an IPv4 address or a bracketed IPv6 one. Metrics and the
// status page tell an attacker much about the server: anything but loopback
// is allowed only as a loud warning that `check` and `serve` repeat.
void read_admin_listen(TableReader& t, std::string_view name, Admin& admin) {
  t.string(name, admin.listen);
  const std::string& text = admin.listen;
  const auto colon = text.rfind(':');
  std::string ip = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  const bool v6 = ip.size() > 2 && ip.front() == '[' && ip.back() == ']';
  if (v6) ip = ip.substr(1, ip.size() - 2);
  unsigned char buf[16];
  unsigned long number = 0;
  const bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                       (number = std::stoul(port)) >= 1 && number <= 65535;
  if (!port_ok || ::inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), buf) != 1) {
    t.problem(name, "expected \"IP:PORT\" (\"127.0.0.1:9180\", \"[::1]:9180\"), got " + in_quotes(text));
    return;
  }
  admin.ip = ip;
  admin.port = static_cast<std::uint16_t>(number);
  const bool loopback = v6 ? ip == "::1" : buf[0] == 127;
  if (!loopback && admin.allow.empty())
    t.state()->warn(t.state()->pos_or(t.key(name), t.pos()), t.key(name),
                    "the admin listener (metrics, status page) is reachable from other machines at " + text +
                        ": it shows pools, sites and traffic to anyone who can connect; keep it on 127.0.0.1, "
                        "name the peers it answers with allow = [\"10.0.0.2\", ...], or firewall it");
}

// allow = ["10.0.0.2", "10.0.1.0/24"]: read before listen, whose warning it answers.
void read_admin_allow(TableReader& t, std::string_view name, Admin& admin) {
  std::vector<std::string> texts;
  t.strings(name, texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (auto range = parse_ip_range(texts[i])) {
      admin.allow.push_back(*range);
    } else {
      const std::string item = std::string{name} + "[" + std::to_string(i) + "]";
      t.state()->add(t.state()->pos_or(t.key(item), t.pos()), t.key(item), range.error());
    }
  }
}

const Keys<Admin> kAdminKeys = {
    custom("allow", read_admin_allow),
    custom("listen", read_admin_listen),
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

const Keys<Http2> kHttp2Keys = {
    field("max_concurrent_streams", &Http2::max_concurrent_streams, 1u, 1000u),
    field("header_table_size", &Http2::header_table_size, 0u, 65536u),
    field("initial_window_size", &Http2::initial_window_size, 1024u, 16u << 20),
    field("max_resets_per_second", &Http2::max_resets_per_second, 1u, 100000u),
    field("max_continuations", &Http2::max_continuations, 0u, 1000u),
};

const Keys<Server> kServerKeys = {
    field("state_dir", &Server::state_dir),
    field("log_dir", &Server::log_dir),
    field("threads", &Server::threads, 0u, 1024u),
    field("shutdown_timeout", &Server::shutdown_timeout),
    section("limits", "[server.limits]", &Server::limits, kLimitsKeys),
    custom("trusted_proxies", read_trusted_proxies),
    section("admin", "[server.admin]", &Server::admin, kAdminKeys),
    section("tls", "[server.tls]", &Server::tls, kTlsKeys),
    section("http2", "[server.http2]", &Server::http2, kHttp2Keys),
};

void read_anonymous(TableReader& t, std::string_view name, Accounts& accounts) {
  t.string(name, accounts.anonymous);
  if (!is_account_name(accounts.anonymous))
    t.problem(name,
              "expected a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got " + in_quotes(accounts.anonymous));
}

const Keys<Accounts> kAccountsKeys = {
    custom("anonymous", read_anonymous),         custom("anonymous_uid", read_anonymous_uid),
    custom("anonymous_gid", read_anonymous_gid), custom("front_uid", read_front_uid),
    custom("front_gid", read_front_gid),
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

// The validated, immutable configuration: what ../shared/examples/two-sites.toml
// says, with IIS's defaults filled in. Produced only by config::load_*().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/rewrite_model.hpp"

namespace gatehouse::config {

using Seconds = std::chrono::seconds;
using Path = std::filesystem::path;

// Where a value came from, for messages: "/etc/gh.toml:12:5".
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
};

// Something valid but risky, shown by `check` (and logged by `serve`) without
// stopping anything: "file:line:column: key 'x': message".
struct Warning {
  SourcePos pos;
  std::string key;
  std::string message;
  std::string str() const;
};

struct Limits {
  std::uint64_t max_url_length = 4096;
  std::uint64_t max_query_string = 2048;
  std::uint64_t max_request_headers = 16384;  // bytes, all headers together
  std::uint64_t max_allowed_content_length = 30'000'000;
  Seconds header_timeout{15};
  Seconds keepalive_timeout{120};
  Seconds body_timeout{60};  // longest gap between two body reads
};

// One address or network of trusted_proxies: "10.0.0.0/8", "::1", "127.0.0.1".
struct IpRange {
  int family = 0;                        // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // network byte order; IPv4 uses the first 4
  unsigned prefix = 0;                   // bits that must match
  std::string text;                      // as written

  // `address` in the same byte layout (4 bytes for AF_INET, 16 for AF_INET6).
  bool contains(int address_family, const std::uint8_t* address) const;
};

// The admin listener (metrics and status page, issue 12): off unless
// `listen` is set; a non-loopback address is a loud warning.
struct Admin {
  std::string listen;  // "127.0.0.1:9180" or "[::1]:9180"; empty: off
  std::string ip;      // parsed from listen
  std::uint16_t port = 0;
  // The peers it answers (a balancer's health checks of /ready, a Prometheus); empty: anyone who reaches it.
  std::vector<IpRange> allow;
};

// TLS for every https binding ([server.tls]). Versions below 1.2 are never
// offered; the defaults are Mozilla's "intermediate" profile (ECDHE only).
struct Tls {
  std::string ciphers =  // TLS 1.2, OpenSSL cipher-list syntax
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  std::string ciphersuites =  // TLS 1.3
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  std::string min_version = "1.2";    // "1.2" or "1.3"
  Seconds ticket_key_rotation{3600};  // a session-ticket key encrypts for this long, then decrypts for as long
  bool http2 = true;                  // ALPN offers "h2" (when this build serves it)
  bool ocsp_stapling = false;         // staple each site's ocsp_response file
};

// HTTP/2 on https bindings ([server.http2]; ALPN offers h2 when [server.tls]
// http2 is true). The header list is bounded by [server.limits]
// max_request_headers, as HTTP/1.1's head; docs/https.md gives the reasons.
struct Http2 {
  unsigned max_concurrent_streams = 128;  // SETTINGS_MAX_CONCURRENT_STREAMS (nginx's default)
  unsigned header_table_size = 4096;      // SETTINGS_HEADER_TABLE_SIZE: the HPACK table a client may fill
  unsigned initial_window_size = 65535;   // SETTINGS_INITIAL_WINDOW_SIZE: request body bytes per stream in flight
  unsigned max_resets_per_second = 100;   // RST_STREAMs from a client per second before GOAWAY (CVE-2023-44487)
  unsigned max_continuations = 8;         // CONTINUATION frames per header block (CVE-2024-28182)
};

struct Server {
  Path state_dir = "/var/lib/gatehouse";  // accounts registry, ACL backups, sockets
  Path log_dir = "/var/log/gatehouse";    // W3C access logs per site, error.log
  unsigned threads = 0;                   // 0: one I/O thread per core
  Seconds shutdown_timeout{30};           // in-flight requests get this long on stop
  Limits limits;
  Admin admin;
  Tls tls;
  Http2 http2;
  // Load balancers whose PROXY protocol header and X-Forwarded-* headers are
  // believed (sites opt in with proxy_protocol / forwarded_headers); empty: none.
  std::vector<IpRange> trusted_proxies;
};

// [node]: what may differ between the nodes of a farm. Its keys override
// [server]'s; `check --farm` leaves the section out of the fingerprint.
struct Node {
  bool declared = false;
  std::string name;
  SourcePos pos;
};

struct Accounts {
  std::string anonymous = "gh-iusr";  // the IUSR equivalent
  // Pinned ids for the anonymous account, so every node of a farm creates it alike.
  std::optional<std::uint32_t> anonymous_uid;
  std::optional<std::uint32_t> anonymous_gid;
  // Pinned ids for the front's account (gh-front, the confined process of `serve` as root).
  std::optional<std::uint32_t> front_uid;
  std::optional<std::uint32_t> front_gid;
};

enum class StderrMode { ReturnStdErrIn500, ReturnGeneric500, IgnoreAndReturn200, TerminateProcess };

// IIS system.webServer/fastCgi <application> settings, IIS 7.5 defaults.
struct FastCgi {
  unsigned max_instances = 4;
  unsigned instance_max_requests = 200;
  Seconds idle_timeout{300};
  Seconds activity_timeout{70};
  Seconds request_timeout{90};
  unsigned queue_length = 1000;
  unsigned rapid_fails_per_minute = 10;
  std::optional<Path> monitor_changes_to;
  StderrMode stderr_mode = StderrMode::ReturnStdErrIn500;
  Seconds signal_before_terminate{0};
  std::vector<std::pair<std::string, std::string>> environment;  // in file order
};

// session.save_handler = redis (phpredis): session.save_path is a server
// address, "tcp://host:port?prefix=x&database=1" or "unix:///run/redis.sock".
struct RedisSessionStore {
  std::string save_path;  // as written
  std::string scheme;     // "tcp", "tls" or "unix"
  std::string host;       // tcp/tls
  std::uint16_t port = 6379;
  Path socket;            // unix
  unsigned database = 0;  // "database=N"
  std::string prefix;     // "prefix=..."; phpredis' default is "PHPREDIS_SESSION:"
  bool prefix_set = false;
  bool locking = false;  // redis.session.locking_enabled (off by default)

  std::string server() const;  // "tcp://127.0.0.1:6379" or "unix:///run/redis.sock": which database server
};

// The php.ini values Gatehouse acts on; `values` keeps every key as read.
struct PhpIni {
  Path file;
  bool fastcgi_impersonate = false;  // fastcgi.impersonate, default 0
  std::optional<Path> upload_tmp_dir;
  std::optional<Path> session_save_path;            // the directory part of session.save_path (files handler)
  std::optional<RedisSessionStore> redis_sessions;  // session.save_handler = redis: no folder
  std::optional<Path> error_log;
  std::vector<Path> include_path;
  std::vector<Path> open_basedir;
  std::map<std::string, std::string> values;
};

// The pool's Landlock sandbox: on by default; the paths add to what the
// permission plan and the PHP runtime give (see sandbox/ and perms/sandbox_spec).
struct PoolSandbox {
  bool enabled = true;
  std::vector<Path> read;     // read (and list) these trees
  std::vector<Path> write;    // read, write, create and remove in these trees
  std::vector<Path> execute;  // read and run these programs (mail()'s sendmail, a shell)
};

// IIS's per-pool limits, enforced with a cgroup per pool. 0: no limit, except
// max_processes, whose 0 means the default (max_instances * 16 + 32).
struct ResourceLimits {
  std::uint64_t memory_bytes = 0;  // the whole pool (its cgroup): the kernel kills at the limit
  // IIS privateMemory: an instance (php-cgi child) whose private memory grew
  // past it is recycled gracefully, after its request, by a warm replacement.
  std::uint64_t instance_memory_bytes = 0;
  std::uint64_t max_processes = 0;
  unsigned cpu_percent = 0;  // IIS cpu limit: percent of the whole machine (all cores)

  std::uint64_t effective_max_processes(unsigned max_instances) const {
    return max_processes != 0 ? max_processes : std::uint64_t{max_instances} * 16 + 32;
  }
};

struct Pool {
  std::string name;
  std::string identity = "ApplicationPoolIdentity";  // or an existing account name
  Path php_cgi = "/usr/bin/php-cgi";
  Path php_ini;  // empty: php-cgi's own default
  unsigned umask = 007;
  FastCgi fastcgi;
  PoolSandbox sandbox;
  ResourceLimits limits;
  PhpIni ini;  // read from php_ini at load time
  // Pinned ids of the pool's own account (ApplicationPoolIdentity), so every
  // node of a farm creates it alike; unset: useradd picks.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  SourcePos pos;

  bool uses_pool_identity() const { return identity == "ApplicationPoolIdentity"; }
};

enum class AnonymousUser { Iusr, Pool };

struct Authentication {
  bool anonymous_enabled = true;
  AnonymousUser anonymous_user = AnonymousUser::Iusr;
  bool basic_enabled = false;
  std::string basic_realm;
};

// "http://IP:PORT:HOST" or "https://IP:PORT:HOST"; ip "*" is any address,
// host "*" any Host header (for https: the certificate when SNI matches no
// other binding of the port).
struct Binding {
  std::string scheme = "http";
  std::string ip = "*";
  std::uint16_t port = 80;
  std::string host = "*";
  std::string text;  // as written
  // https: the PEM chain and key of this binding (written beside the URL as
  // { url = ..., certificate = ..., key = ... }), else the site's.
  std::optional<Path> certificate;
  std::optional<Path> key;

  bool https() const { return scheme == "https"; }
};

// A site's TLS settings (IIS: the binding's certificate, HSTS, URL Rewrite's http->https rule).
struct SiteTls {
  std::optional<Path> certificate;    // PEM: the certificate, then its chain
  std::optional<Path> key;            // PEM private key, readable by its owner only
  std::optional<Path> ocsp_response;  // DER OCSP response stapled when [server.tls] ocsp_stapling
  Seconds hsts{0};                    // Strict-Transport-Security max-age; 0: not sent
  bool redirect_to_https = false;     // plain-http requests get 301 to the site's https binding
};

// IIS requestFiltering, beyond the built-in rules (dot segments, double
// escapes): compared case-insensitively, as IIS does. An application's lists
// are the site's plus its own.
struct RequestFiltering {
  std::vector<std::string> hidden_segments;       // 404.8: a URL segment equal to one of these
  std::vector<std::string> denied_url_sequences;  // 404.5: a substring of the URL path
  std::vector<std::string> denied_extensions;     // 404.7: ".json"; any segment's extension
  // 404.7 when not empty: only these extensions (IIS allowUnlisted="false");
  // "." stands for a last segment without extension ("/", "/wiki/Page").
  std::vector<std::string> allowed_extensions;
};

// IIS handler accessPolicy per URL path: scripts = false is accessPolicy="Read"
// (static files only, no PHP), for that path and below it.
struct HandlerPolicy {
  std::string path;  // URL prefix, "/images"
  bool scripts = true;
  SourcePos pos;
};

// An application: the site root ("/") is always applications[0].
struct Application {
  std::string path;  // URL prefix, "/" or "/blog" (no trailing slash)
  Path app_root;     // the whole application: code, vendor libraries
  Path physical_path;
  std::string pool;
  std::vector<Path> writable;  // folders the application writes, beyond php.ini's
  // The writable folders written as { path = ..., execute = true }: scripts
  // there still run (applications that generate PHP); `check` warns loudly.
  std::vector<Path> writable_scripts;
  // Pools whose trees may overlap this application's on purpose (check warns
  // loudly); any other overlap between pools is a configuration error.
  std::vector<std::string> share_with;
  RequestFiltering request_filtering;  // effective: the site's plus the application's own
  Authentication authentication;
  // Run after the site's rules for requests in this application; empty for
  // the root application (the site's own rules and front controller serve it).
  std::vector<RewriteRule> rewrite;
  std::string front_controller;  // "/index.php": below this application's path
  SourcePos pos;
};

// Plain content mapped into a site, served by the enclosing application.
struct VirtualDirectory {
  std::string path;  // URL prefix, no trailing slash
  Path physical_path;
  SourcePos pos;
};

struct Site {
  std::string name;
  std::vector<Binding> bindings;
  std::vector<std::string> default_documents = {"index.php", "index.html", "index.htm", "default.htm"};
  std::vector<std::string> php_extensions = {".php"};
  std::vector<Application> applications;  // [0] is the root application "/"
  std::vector<VirtualDirectory> virtual_directories;
  std::vector<RewriteRule> rewrite;  // run first for every request of the site (IIS: inherited)
  std::string front_controller;      // for the root application's requests only
  std::vector<HandlerPolicy> handler_policies;
  // Behind a load balancer (only from [server] trusted_proxies): every
  // connection to these bindings' ports starts with a PROXY v2 header, and
  // X-Forwarded-For / X-Forwarded-Proto name the client. Off by default.
  bool proxy_protocol = false;
  bool forwarded_headers = false;
  SiteTls tls;
  SourcePos pos;

  // The certificate and key of an https binding: its own, else the site's.
  std::optional<Path> certificate_of(const Binding& b) const { return b.certificate ? b.certificate : tls.certificate; }
  std::optional<Path> key_of(const Binding& b) const { return b.key ? b.key : tls.key; }

  const Application& root() const { return applications.front(); }
};

struct Config {
  Path source;  // the file it came from, or "<embedded>"
  Server server;
  Accounts accounts;
  Node node;
  std::vector<Pool> pools;
  std::vector<Site> sites;
  std::vector<Warning> warnings;               // in file order
  std::map<std::string, SourcePos> positions;  // dotted key -> where its value is, for later checks

  // Where `key` was written, or `fallback`.
  SourcePos pos_of(const std::string& key, const SourcePos& fallback) const;

  const Pool* find_pool(std::string_view name) const;
  const Site* find_site(std::string_view name) const;
};

}  // namespace gatehouse::config

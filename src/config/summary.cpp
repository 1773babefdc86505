// Text summary of sites and pools with every effective setting.
#include "config/summary.hpp"

#include <fmt/format.h>

#include "config/values.hpp"

namespace gatehouse::config {
namespace {

std::string seconds(Seconds s) { return std::to_string(s.count()) + "s"; }

std::string opt(const std::optional<Path>& p, std::string_view unset) { return p ? p->string() : std::string{unset}; }

template <class T>
std::string join(const std::vector<T>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<T, Path>)
      out += item.string();
    else
      out += item;
  }
  return out.empty() ? "(none)" : out;
}

std::string anonymous(const Authentication& auth, const Config& config, const std::string& pool) {
  if (!auth.anonymous_enabled) return "disabled";
  if (auth.anonymous_user == AnonymousUser::Pool) return "as the pool identity (pool " + pool + ")";
  return "as " + config.accounts.anonymous + " (IUSR)";
}

std::string condition_summary(const RewriteCondition& c) {
  const std::string_view negate = c.negate ? "!" : "";
  if (c.match_type != MatchType::Pattern) return fmt::format("{} {}{}", c.input.text, negate, to_string(c.match_type));
  return fmt::format("{} {}~ {}{}", c.input.text, negate, in_quotes(c.pattern), c.ignore_case ? "" : " (case)");
}

std::string action_summary(const RewriteRule& r) {
  const std::string_view query = r.append_query_string ? "" : ", query not appended";
  switch (r.action) {
    case RewriteAction::Rewrite:
      return fmt::format("Rewrite {}{}", in_quotes(r.url.text), query);
    case RewriteAction::Redirect:
      return fmt::format("Redirect {} {}{}", r.redirect_type, in_quotes(r.url.text), query);
    case RewriteAction::CustomResponse:
      return fmt::format("CustomResponse {}.{} {}", r.status_code, r.substatus_code, in_quotes(r.status_reason));
    default:
      return std::string{to_string(r.action)};
  }
}

// One line per rule: name: [!]"match" if conditions -> action (stop).
void rewrite_summary(std::string& out, std::string_view indent, const std::vector<RewriteRule>& rules,
                     const std::string& front_controller) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const RewriteRule& r = rules[i];
    std::string conditions;
    const std::string_view join = r.logical_grouping == LogicalGrouping::MatchAll ? " and " : " or ";
    for (const auto& c : r.conditions)
      conditions += std::string{conditions.empty() ? std::string_view{" if "} : join} + condition_summary(c);
    out += fmt::format("{}rewrite {}. {}: {}{}{}{} -> {}{}\n", indent, i + 1, r.name, r.negate ? "!" : "",
                       in_quotes(r.match), r.ignore_case ? "" : " (case)", conditions, action_summary(r),
                       r.stop_processing ? " (stop)" : "");
  }
  if (!front_controller.empty())
    out +=
        fmt::format("{}front controller {} (paths that are neither a file nor a folder)\n", indent, front_controller);
}

void site_summary(std::string& out, const Site& site, const Config& config) {
  out += fmt::format("\nsite {}\n", site.name);
  for (const auto& b : site.bindings) {
    out += fmt::format("  binding {}\n", b.text);
    if (b.https())
      out += fmt::format("    certificate {}, key {}\n", site.certificate_of(b).value_or("(none)").string(),
                         site.key_of(b).value_or("(none)").string());
  }
  if (site.tls.hsts.count() > 0) out += fmt::format("  hsts max-age={}\n", site.tls.hsts.count());
  if (site.tls.redirect_to_https) out += "  http requests redirect to https\n";
  out += fmt::format("  default documents: {}\n  PHP extensions: {}\n", join(site.default_documents),
                     join(site.php_extensions));
  rewrite_summary(out, "  ", site.rewrite, site.front_controller);
  for (const auto& app : site.applications) {
    out += fmt::format("  application {}\n", app.path);
    out += fmt::format("    physical path {}\n    app root {}\n    pool {}\n", app.physical_path.string(),
                       app.app_root.string(), app.pool);
    out += fmt::format("    anonymous: {}\n", anonymous(app.authentication, config, app.pool));
    if (app.authentication.basic_enabled)
      out += fmt::format("    basic authentication: realm {}\n", in_quotes(app.authentication.basic_realm));
    if (!app.writable.empty()) out += fmt::format("    writable: {}\n", join(app.writable));
    rewrite_summary(out, "    ", app.rewrite, app.front_controller);
  }
  for (const auto& dir : site.virtual_directories)
    out += fmt::format("  virtual directory {} -> {}\n", dir.path, dir.physical_path.string());
}

void pool_summary(std::string& out, const Pool& pool) {
  const FastCgi& f = pool.fastcgi;
  out += fmt::format("\npool {}\n", pool.name);
  out +=
      fmt::format("  identity {}\n  php-cgi {}\n  php.ini {}\n  umask {:04o}\n", pool.identity, pool.php_cgi.string(),
                  pool.php_ini.empty() ? "(php-cgi's default)" : pool.php_ini.string(), pool.umask);
  out += "  fastcgi:\n";
  const std::pair<std::string_view, std::string> settings[] = {
      {"max_instances", std::to_string(f.max_instances)},
      {"instance_max_requests", std::to_string(f.instance_max_requests)},
      {"idle_timeout", seconds(f.idle_timeout)},
      {"activity_timeout", seconds(f.activity_timeout)},
      {"request_timeout", seconds(f.request_timeout)},
      {"queue_length", std::to_string(f.queue_length)},
      {"rapid_fails_per_minute", std::to_string(f.rapid_fails_per_minute)},
      {"monitor_changes_to", opt(f.monitor_changes_to, "(none)")},
      {"stderr_mode", std::string{to_string(f.stderr_mode)}},
      {"signal_before_terminate", seconds(f.signal_before_terminate)},
  };
  for (const auto& [name, value] : settings) out += fmt::format("    {} {}\n", name, value);
  for (const auto& [name, value] : f.environment) out += fmt::format("    environment {}={}\n", name, value);
  const PhpIni& ini = pool.ini;
  out += fmt::format(
      "  php.ini values:\n    fastcgi.impersonate {}\n    upload_tmp_dir {}\n    session.save_path {}\n"
      "    error_log {}\n",
      ini.fastcgi_impersonate ? 1 : 0, opt(ini.upload_tmp_dir, "(unset: PHP default)"),
      ini.redis_sessions ? "(sessions in Redis)" : opt(ini.session_save_path, "(unset: PHP default)"),
      opt(ini.error_log, "(unset: stderr)"));
  out += "  sessions: " + session_destination(ini) + "\n";
}

}  // namespace

std::string session_destination(const PhpIni& ini) {
  if (const auto& r = ini.redis_sessions) {
    return fmt::format("Redis {} database {}, key prefix {}, locking {}", r->server(), r->database,
                       r->prefix_set ? in_quotes(r->prefix) : std::string{"PHPREDIS_SESSION: (phpredis default)"},
                       r->locking ? "on" : "OFF (redis.session.locking_enabled)");
  }
  return "files in " + opt(ini.session_save_path, "/var/lib/php/sessions (PHP default)");
}

std::string summary(const Config& config) {
  const Server& s = config.server;
  const Limits& l = s.limits;
  std::string out = fmt::format("configuration {}\n", config.source.string());
  out += fmt::format("server: state_dir {}, log_dir {}, threads {}, shutdown_timeout {}\n", s.state_dir.string(),
                     s.log_dir.string(), s.threads == 0 ? std::string{"one per core"} : std::to_string(s.threads),
                     seconds(s.shutdown_timeout));
  out += fmt::format(
      "limits: max_url_length {}, max_query_string {}, max_request_headers {}, max_allowed_content_length {}, "
      "header_timeout {}, keepalive_timeout {}, body_timeout {}\n",
      l.max_url_length, l.max_query_string, l.max_request_headers, l.max_allowed_content_length,
      seconds(l.header_timeout), seconds(l.keepalive_timeout), seconds(l.body_timeout));
  bool https = false;
  for (const auto& site : config.sites)
    for (const auto& b : site.bindings) https = https || b.https();
  if (https)  // only where it matters: most configurations have no https binding
    out += fmt::format("tls: TLS {}+, ciphers {}, ciphersuites {}, ticket keys rotate every {}, OCSP stapling {}\n",
                       s.tls.min_version, s.tls.ciphers, s.tls.ciphersuites, seconds(s.tls.ticket_key_rotation),
                       s.tls.ocsp_stapling ? "on" : "off");
  if (https && s.tls.http2)
    out += fmt::format(
        "http2: on, max_concurrent_streams {}, header_table_size {}, initial_window_size {}, "
        "max_resets_per_second {}, max_continuations {}\n",
        s.http2.max_concurrent_streams, s.http2.header_table_size, s.http2.initial_window_size,
        s.http2.max_resets_per_second, s.http2.max_continuations);
  out += fmt::format("anonymous account: {}\n", config.accounts.anonymous);
  if (!s.admin.listen.empty())
    out += fmt::format("admin listener: http://{}/metrics (Prometheus) and /status (HTML)\n", s.admin.listen);
  for (const auto& site : config.sites) site_summary(out, site, config);
  for (const auto& pool : config.pools) pool_summary(out, pool);
  return out;
}

}  // namespace gatehouse::config

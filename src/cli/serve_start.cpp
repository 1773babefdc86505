// Start-up messages of `serve`; see serve_start.hpp.
#include "cli/serve_start.hpp"

#include <fmt/format.h>

#include <cstring>

#include "accounts/names.hpp"
#include "cli/apply_output.hpp"
#include "common/log.hpp"
#include "perms/applied.hpp"
#include "perms/plan.hpp"

namespace gatehouse::cli {
namespace {

std::string list(const std::vector<std::string>& items, std::size_t most = 3) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < most; ++i) out += (out.empty() ? "" : ", ") + items[i];
  if (items.size() > most) out += fmt::format(" and {} more", items.size() - most);
  return out;
}

// "binding http://127.0.0.1:8081:wiki.localhost: listening on 127.0.0.1:8081, open
// http://wiki.localhost:8081/"
std::string binding_text(const config::Binding& b) {
  const bool v6 = b.ip.find(':') != std::string::npos;
  const std::string ip = b.ip == "*" ? "every address" : v6 ? "[" + b.ip + "]" : b.ip;
  std::string host = b.host != "*" ? b.host : b.ip != "*" ? (v6 ? "[" + b.ip + "]" : b.ip) : "localhost";
  return fmt::format("binding {}: listening on {}:{}, open {}://{}:{}/", b.text, ip, b.port, b.scheme, host, b.port);
}

}  // namespace

void log_config_warnings(const config::Config& config) {
  for (const auto& w : config.warnings) log::warn("[config] {}", w.str());
}

void warn_if_plan_not_applied(const config::Config& config, const std::string& config_file) {
  const perms::Plan plan = perms::make_plan(config);
  auto drift = perms::check_applied(plan);
  const std::string fix = "gatehouse perms apply --config " + shell_quote(config_file);
  if (!drift) {
    log::warn(
        "[perms] cannot compare the file system with the permission plan: {}; check with: "
        "gatehouse perms audit --config {}",
        drift.error().message(), shell_quote(config_file));
    return;
  }
  if (drift->empty()) return;
  std::string what;
  if (!drift->differ.empty())
    what = fmt::format("{} folder(s) lack their planned permissions ({})", drift->differ.size(), list(drift->differ));
  if (!drift->missing.empty())
    what += (what.empty() ? "" : "; ") +
            fmt::format("{} planned folder(s) do not exist ({})", drift->missing.size(), list(drift->missing));
  if (!drift->accounts.empty())
    what += (what.empty() ? "" : "; ") + fmt::format("account(s) {} do not exist", list(drift->accounts));
  log::warn(
      "[perms] the permission plan is not applied: {}. PHP may fail to write its upload, session or data "
      "folders. Fix: {}",
      what, fix);
}

std::string banner(const config::Config& config) {
  std::string out;
  for (const auto& site : config.sites) {
    out += fmt::format("site {}\n", site.name);
    for (const auto& b : site.bindings)
      out +=
          fmt::format("  {}{}\n", binding_text(b), b.https() && config.server.tls.http2 ? " (HTTP/2, HTTP/1.1)" : "");
    for (const auto& app : site.applications) {
      const config::Pool* pool = config.find_pool(app.pool);
      if (!pool) continue;
      out += fmt::format("  {} -> pool {} -> account {} -> {} -> php.ini {}\n", app.path, pool->name,
                         accounts::pool_account(*pool), pool->php_cgi.string(),
                         pool->php_ini.empty() ? "(php-cgi's default)" : pool->php_ini.string());
    }
    out += fmt::format("  access log {}/\n", (config.server.log_dir / site.name).string());
  }
  out += fmt::format("error log {}", (config.server.log_dir / "error.log").string());
  return out;
}

std::string bind_failure(const config::Config& config, const Error& error) {
  if (error.op != "bind") return error.message();
  const auto colon = error.target.rfind(':');
  const std::string port = colon == std::string::npos ? "" : error.target.substr(colon + 1);
  std::vector<std::string> users;
  for (const auto& site : config.sites)
    for (const auto& b : site.bindings)
      if (std::to_string(b.port) == port) users.push_back(fmt::format("site {} (binding \"{}\")", site.name, b.text));
  std::string out = fmt::format("cannot listen on {}: {}", error.target, std::strerror(error.errnum));
  if (!users.empty()) out += fmt::format(", needed by {}", list(users, 10));
  if (error.errnum == EADDRINUSE)
    out += "; another program (or another Gatehouse) listens there: stop it, or change the binding";
  if (error.errnum == EACCES) out += "; ports below 1024 need root";
  return out;
}

}  // namespace gatehouse::cli

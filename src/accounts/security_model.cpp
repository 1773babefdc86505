// design.md's table "The security model" in code, with the reasons spelled out
// so an administrator can see which setting decided each account.
#include "accounts/security_model.hpp"

#include <cerrno>

#include "accounts/names.hpp"

namespace gatehouse::accounts {
namespace {

// "sites[0]" or "sites[0].applications[1]" as in configuration messages (the
// TOML list [[sites.applications]] does not include the root application).
std::string setting_prefix(const config::Config& config, const config::Site& site, const config::Application& app) {
  std::string key = "site " + site.name;
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    if (&config.sites[s] == &site) key = "sites[" + std::to_string(s) + "]";
  }
  for (std::size_t a = 1; a < site.applications.size(); ++a) {
    if (&site.applications[a] == &app) key += ".applications[" + std::to_string(a - 1) + "]";
  }
  return key;
}

// "gh-pool-shop (pool shop, ApplicationPoolIdentity)".
std::string describe_pool_identity(const config::Pool& pool) {
  const std::string how =
      pool.uses_pool_identity() ? "ApplicationPoolIdentity" : "identity = \"" + pool.identity + "\"";
  return pool_account(pool) + " (pool " + pool.name + ", " + how + ")";
}

std::string describe_impersonate(const config::Pool& pool) {
  const std::string value = pool.ini.fastcgi_impersonate ? "1" : "0";
  if (pool.php_ini.empty()) {
    return "fastcgi.impersonate = 0 (pool " + pool.name + " has no php_ini; PHP's default)";
  }
  if (!pool.ini.values.contains("fastcgi.impersonate")) {
    return "fastcgi.impersonate = 0 (not set in " + pool.php_ini.string() + "; PHP's default)";
  }
  return "fastcgi.impersonate = " + value + " in " + pool.php_ini.string();
}

Error authorize_error(const config::Site& site, const config::Application& app, int errnum, std::string detail) {
  Error error = Error::sys("authorize", app.path, errnum);
  error.context = "[site " + site.name + "]";
  error.detail = std::move(detail);
  return error;
}

// Fills request_as / request_why for an anonymous request.
Status anonymous_request(const config::Config& config, const config::Site& site, const config::Application& app,
                         const config::Pool& pool, RequestIdentities& out) {
  const config::Authentication& auth = app.authentication;
  const std::string key = setting_prefix(config, site, app) + ".authentication.anonymous";
  if (!auth.anonymous_enabled) {
    return std::unexpected(authorize_error(
        site, app, EACCES, "anonymous access is disabled (" + key + ".enabled = false); credentials needed"));
  }
  if (auth.anonymous_user == config::AnonymousUser::Pool) {
    out.request_as = pool_account(pool);
    out.request_why = "anonymous user = pool (" + key + ".user) -> the pool identity " + describe_pool_identity(pool);
  } else {
    out.request_as = config.accounts.anonymous;
    out.request_why =
        "anonymous user = IUSR (" + key + ".user) -> " + config.accounts.anonymous + " ([accounts] anonymous)";
  }
  return {};
}

Status authenticated_request(const config::Config& config, const config::Site& site, const config::Application& app,
                             std::string_view user, RequestIdentities& out) {
  const std::string key = setting_prefix(config, site, app) + ".authentication.basic";
  if (!app.authentication.basic_enabled) {
    return std::unexpected(authorize_error(
        site, app, EACCES,
        "basic authentication is disabled (" + key + ".enabled = false); user " + std::string(user) + " not accepted"));
  }
  out.request_as = std::string(user);
  out.authenticated = true;
  out.request_why = "authenticated user " + out.request_as + " (basic authentication, " + key + ")";
  return {};
}

}  // namespace

Result<RequestIdentities> resolve_request_identities(const config::Config& config, const config::Site& site,
                                                     const config::Application& app,
                                                     std::optional<std::string_view> user) {
  const config::Pool* pool = config.find_pool(app.pool);
  if (!pool) {
    return std::unexpected(authorize_error(site, app, EINVAL, "no pool named \"" + app.pool + "\""));
  }
  RequestIdentities out;
  Status who =
      user ? authenticated_request(config, site, app, *user, out) : anonymous_request(config, site, app, *pool, out);
  if (!who) return std::unexpected(who.error());

  // Static files are always read as the request identity (IIS opens them
  // with the request's token); only PHP depends on impersonation.
  out.static_as = out.request_as;
  out.impersonate = pool->ini.fastcgi_impersonate;
  out.impersonate_why = describe_impersonate(*pool);
  if (out.impersonate) {
    out.php_as = out.request_as;
    out.php_why = out.impersonate_why + " -> PHP runs as the request identity " + out.php_as;
  } else {
    out.php_as = pool_account(*pool);
    out.php_why = out.impersonate_why + " -> PHP runs as the pool identity " + describe_pool_identity(*pool);
  }
  out.worker = WorkerKey{pool->name, out.php_as};
  return out;
}

namespace {

void append_row(std::string& out, const std::string& who, const Result<RequestIdentities>& ids) {
  out += "    " + who + ": ";
  if (!ids) {
    out += "refused (" + ids.error().detail + ")\n";
    return;
  }
  out += "static files read as " + ids->static_as + ", PHP runs as " + ids->php_as + "\n";
  out += "      because " + ids->request_why + "\n";
  out += "      and " + ids->php_why + "\n";
}

void append_application(std::string& out, const config::Config& config, const config::Site& site,
                        const config::Application& app) {
  out += "  application " + app.path + " (pool " + app.pool + ", " + app.physical_path.string() + ")\n";
  if (app.authentication.anonymous_enabled) {
    append_row(out, "anonymous", resolve_request_identities(config, site, app, std::nullopt));
  } else {
    out += "    anonymous: refused (anonymous access is disabled)\n";
  }
  if (app.authentication.basic_enabled) {
    append_row(out, "authenticated user U", resolve_request_identities(config, site, app, "U"));
  }
  if (!app.authentication.anonymous_enabled && !app.authentication.basic_enabled) {
    out += "    warning: no authentication is enabled: every request is refused (401)\n";
  }
}

}  // namespace

std::string identity_table(const config::Config& config) {
  std::string out;
  for (const config::Site& site : config.sites) {
    out += "site " + site.name + "\n";
    for (const config::Application& app : site.applications) append_application(out, config, site, app);
    for (const config::VirtualDirectory& dir : site.virtual_directories) {
      out += "  virtual directory " + dir.path + " (" + dir.physical_path.string() +
             "): as the application that contains it\n";
    }
  }
  return out;
}

}  // namespace gatehouse::accounts

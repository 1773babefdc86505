// Writes the IIS set-up script: application pools, FastCGI applications,
// sites, applications, authentication, handlers, then icacls from the plan.
#include "perms/export_windows.hpp"

#include <algorithm>
#include <set>

#include "accounts/names.hpp"
#include "perms/sid.hpp"

namespace gatehouse::perms {
namespace {

constexpr const char* kAppcmd = "%APPCMD%";

// cmd.exe expands %NAME% even inside quotes.
std::string cmd_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

std::string in_quotes(std::string_view text) { return "\"" + cmd_escape(text) + "\""; }

std::string stderr_mode(config::StderrMode mode) {
  switch (mode) {
    case config::StderrMode::ReturnStdErrIn500:
      return "ReturnStdErrIn500";
    case config::StderrMode::ReturnGeneric500:
      return "ReturnGeneric500";
    case config::StderrMode::IgnoreAndReturn200:
      return "IgnoreAndReturn200";
    case config::StderrMode::TerminateProcess:
      return "TerminateProcess";
  }
  return "ReturnStdErrIn500";
}

class Writer {
 public:
  Writer(const config::Config& config, const Plan& plan, const WindowsExportOptions& options)
      : config_(config), plan_(plan), options_(options) {}

  std::string run() {
    header();
    pools();
    fastcgi();
    sites();
    permissions();
    line("endlocal");
    return std::move(out_);
  }

 private:
  void line(const std::string& text) { out_ += text + "\r\n"; }
  void rem(const std::string& text) { line("REM " + cmd_escape(text)); }
  std::string win(const Path& p) const { return windows_path(p, options_.windows_root); }
  std::string php_cgi() const { return options_.php_dir + R"(\php-cgi.exe)"; }
  std::string arguments(const config::Pool& pool) const {
    return pool.php_ini.empty() ? std::string() : "-c " + win(pool.php_ini);
  }
  // The key of a FastCGI application: fullPath and arguments together.
  std::string fastcgi_key(const config::Pool& pool) const {
    return "fullPath='" + php_cgi() + "',arguments='" + arguments(pool) + "'";
  }

  const config::Pool* pool_of(std::string_view name) const {
    for (const auto& pool : config_.pools) {
      if (pool.name == name) return &pool;
    }
    return nullptr;
  }

  // A Linux account of the plan as Windows names it.
  std::string windows_account(const std::string& account) const {
    if (account == config_.accounts.anonymous) return "IUSR";
    for (const auto& pool : config_.pools) {
      if (pool.uses_pool_identity() && accounts::pool_account(pool) == account) return "IIS AppPool\\" + pool.name;
    }
    return account;
  }

  void header() {
    line("@echo off");
    rem("Gatehouse: IIS 7.5+ set-up exported from " + config_.source.string() + ".");
    rem("Run as Administrator. Linux paths are placed under " + options_.windows_root + ".");
    rem("");
    rem("Security identifiers:");
    rem("  IUSR                           " + std::string(kIusrSid));
    rem("  IIS_IUSRS                      " + std::string(kIisIusrsSid));
    for (const auto& pool : config_.pools) {
      if (!pool.uses_pool_identity()) continue;
      std::string name = "IIS AppPool\\" + pool.name;
      name.resize(std::max<std::size_t>(name.size(), 30), ' ');
      rem("  " + name + " " + app_pool_sid(pool.name));
    }
    line("setlocal");
    line(R"(set APPCMD=%windir%\system32\inetsrv\appcmd.exe)");
  }

  void pools() {
    line("");
    rem("Application pools");
    for (const auto& pool : config_.pools) {
      line(std::string(kAppcmd) + " add apppool /name:" + in_quotes(pool.name) + " /managedRuntimeVersion:\"\"");
      if (pool.uses_pool_identity()) {
        line(std::string(kAppcmd) + " set apppool /apppool.name:" + in_quotes(pool.name) +
             " /processModel.identityType:ApplicationPoolIdentity");
      } else {
        rem("pool " + pool.name + " runs as " + pool.identity + ": give its password with /processModel.password");
        line(std::string(kAppcmd) + " set apppool /apppool.name:" + in_quotes(pool.name) +
             " /processModel.identityType:SpecificUser /processModel.userName:" + in_quotes(pool.identity));
      }
    }
  }

  void fastcgi() {
    line("");
    rem("FastCGI applications, one per pool (php-cgi with the pool's php.ini)");
    for (const auto& pool : config_.pools) {
      const auto& f = pool.fastcgi;
      std::string attrs = fastcgi_key(pool) + ",maxInstances='" + std::to_string(f.max_instances) +
                          "',instanceMaxRequests='" + std::to_string(f.instance_max_requests) + "',idleTimeout='" +
                          std::to_string(f.idle_timeout.count()) + "',activityTimeout='" +
                          std::to_string(f.activity_timeout.count()) + "',requestTimeout='" +
                          std::to_string(f.request_timeout.count()) + "',queueLength='" +
                          std::to_string(f.queue_length) + "',rapidFailsPerMinute='" +
                          std::to_string(f.rapid_fails_per_minute) + "',stderrMode='" + stderr_mode(f.stderr_mode) +
                          "',signalBeforeTerminateSeconds='" + std::to_string(f.signal_before_terminate.count()) + "'";
      if (f.monitor_changes_to) attrs += ",monitorChangesTo='" + win(*f.monitor_changes_to) + "'";
      line(std::string(kAppcmd) + " set config -section:system.webServer/fastCgi /+\"[" + cmd_escape(attrs) +
           "]\" /commit:apphost");
      auto env = f.environment;
      const bool has_max =
          std::any_of(env.begin(), env.end(), [](auto& kv) { return kv.first == "PHP_FCGI_MAX_REQUESTS"; });
      // php-cgi exits after PHP_FCGI_MAX_REQUESTS (500 when unset): keep it >= instanceMaxRequests.
      if (!has_max) env.emplace_back("PHP_FCGI_MAX_REQUESTS", std::to_string(f.instance_max_requests));
      php_ini_note(pool);
      for (const auto& [name, value] : env) {
        line(std::string(kAppcmd) + " set config -section:system.webServer/fastCgi /+\"[" +
             cmd_escape(fastcgi_key(pool)) + "].environmentVariables.[name='" + cmd_escape(name) + "',value='" +
             cmd_escape(value) + "']\" /commit:apphost");
      }
    }
  }

  // php.ini is copied as it is: its Linux paths mean nothing on Windows.
  void php_ini_note(const config::Pool& pool) {
    if (pool.php_ini.empty()) return;
    rem("pool " + pool.name + ": copy " + pool.php_ini.string() + " to " + win(pool.php_ini) +
        " and TRANSLATE the Linux paths in it:");
    const std::pair<const char*, std::optional<Path>> paths[] = {{"upload_tmp_dir", pool.ini.upload_tmp_dir},
                                                                 {"session.save_path", pool.ini.session_save_path},
                                                                 {"error_log", pool.ini.error_log}};
    for (const auto& [name, value] : paths)
      if (value) rem(std::string("  ") + name + " = " + value->string() + "  ->  " + win(*value));
    for (const auto& dir : pool.ini.include_path)
      if (dir.is_absolute()) rem("  include_path " + dir.string() + "  ->  " + win(dir));
    for (const auto& dir : pool.ini.open_basedir) rem("  open_basedir " + dir.string() + "  ->  " + win(dir));
  }

  static std::string binding(const config::Binding& b) {
    // IIS writes an IPv6 address in brackets ("[::1]:80:host"); the model keeps it bare.
    const std::string ip = b.ip.find(':') != std::string::npos ? "[" + b.ip + "]" : b.ip;
    return b.scheme + "/" + ip + ":" + std::to_string(b.port) + ":" + (b.host == "*" ? "" : b.host);
  }

  void sites() {
    for (const auto& site : config_.sites) {
      line("");
      rem("Site " + site.name);
      std::string bindings;
      for (const auto& b : site.bindings) bindings += (bindings.empty() ? "" : ",") + binding(b);
      line(std::string(kAppcmd) + " add site /name:" + in_quotes(site.name) +
           " /physicalPath:" + in_quotes(win(site.root().physical_path)) + " /bindings:" + in_quotes(bindings));
      default_documents(site);
      for (const auto& app : site.applications) application(site, app);
      for (const auto& vdir : site.virtual_directories) {
        line(std::string(kAppcmd) + " add vdir /app.name:" + in_quotes(site.name + "/") +
             " /path:" + in_quotes(vdir.path) + " /physicalPath:" + in_quotes(win(vdir.physical_path)));
      }
    }
  }

  // The site's list replaces IIS's own, in Gatehouse's order.
  void default_documents(const config::Site& site) {
    const std::string section =
        std::string(kAppcmd) + " set config " + in_quotes(site.name) + " -section:system.webServer/defaultDocument ";
    line(section + "/enabled:true /~\"files\" /commit:apphost");
    for (const auto& doc : site.default_documents)
      line(section + "/+\"files.[value='" + cmd_escape(doc) + "']\" /commit:apphost");
  }

  void application(const config::Site& site, const config::Application& app) {
    const bool root = app.path == "/";
    const std::string config_path = site.name + (root ? "" : app.path);
    if (root) {
      line(std::string(kAppcmd) + " set app " + in_quotes(site.name + "/") +
           " /applicationPool:" + in_quotes(app.pool));
    } else {
      line(std::string(kAppcmd) + " add app /site.name:" + in_quotes(site.name) + " /path:" + in_quotes(app.path) +
           " /physicalPath:" + in_quotes(win(app.physical_path)) + " /applicationPool:" + in_quotes(app.pool));
    }
    const auto& auth = app.authentication;
    const std::string user = auth.anonymous_user == config::AnonymousUser::Iusr ? "IUSR" : "";
    line(std::string(kAppcmd) + " set config " + in_quotes(config_path) +
         " -section:system.webServer/security/authentication/anonymousAuthentication /enabled:" +
         (auth.anonymous_enabled ? "true" : "false") + " /userName:" + in_quotes(user) + " /commit:apphost");
    const config::Pool* pool = pool_of(app.pool);
    if (pool == nullptr) return;
    // A child application inherits its parent's handler, which would win over
    // an added one: remove it first when the child runs another pool.
    if (!root && site.root().pool != app.pool) {
      line(std::string(kAppcmd) + " set config " + in_quotes(config_path) +
           " -section:system.webServer/handlers /-\"[name='PHP-" + cmd_escape(site.root().pool) +
           "']\" /commit:apphost");
    }
    if (root || site.root().pool != app.pool) {
      std::string processor = php_cgi() + (pool->php_ini.empty() ? "" : "|" + arguments(*pool));
      line(std::string(kAppcmd) + " set config " + in_quotes(config_path) +
           " -section:system.webServer/handlers /+\"[name='PHP-" + cmd_escape(pool->name) +
           "',path='*.php',verb='GET,HEAD,POST',modules='FastCgiModule',scriptProcessor='" + cmd_escape(processor) +
           "',resourceType='File',requireAccess='Script']\" /commit:apphost");
    }
  }

  static std::string icacls_rights(const Grant& g) {
    if (g.rights.has(Rights::kModify)) return "M";
    if (g.rights.has(Rights::kList)) return "RX";
    if (g.rights.has(Rights::kRead)) return "R";
    return "RX";  // traverse: the seed's "List on the parent", this folder only
  }

  static std::string icacls_flags(const Grant& g) {
    switch (g.scope) {
      case Scope::ThisFolderOnly:
        return "";
      case Scope::ThisFolderAndFiles:
        return "(OI)";
      case Scope::WholeTree:
        return "(OI)(CI)";
    }
    return "";
  }

  void permissions() {
    line("");
    rem("Permissions: the plan of `gatehouse perms plan`, as icacls");
    std::set<Path> folders;
    for (const auto& g : plan_.grants) folders.insert(g.path);
    for (const auto& p : folders) line("if not exist " + in_quotes(win(p) + "\\") + " mkdir " + in_quotes(win(p)));
    for (const auto& c : plan_.closed) {
      rem("closed to everyone else: " + c.reason);
      line("icacls " + in_quotes(win(c.path)) + " /inheritance:r /grant:r " +
           in_quotes("*" + std::string(kLocalSystemSid) + ":(OI)(CI)F") + " " +
           in_quotes("*" + std::string(kAdministratorsSid) + ":(OI)(CI)F"));
    }
    for (const auto& g : plan_.grants) {
      const std::string account = windows_account(g.account);
      rem(g.reason);
      line("icacls " + in_quotes(win(g.path)) + " /grant " +
           in_quotes(account + ":" + icacls_flags(g) + icacls_rights(g)));
      if (account == "IUSR" && g.scope != Scope::ThisFolderOnly) {
        line("icacls " + in_quotes(win(g.path)) + " /deny " + in_quotes("IUSR:(OI)(CI)W"));
      }
    }
  }

  const config::Config& config_;
  const Plan& plan_;
  const WindowsExportOptions& options_;
  std::string out_;
};

}  // namespace

std::string windows_path(const Path& path, const std::string& windows_root) {
  std::string out = windows_root;
  while (!out.empty() && out.back() == '\\') out.pop_back();
  for (const auto& part : path.relative_path()) {
    if (part.empty()) continue;
    out += "\\" + part.string();
  }
  return out;
}

std::string export_windows(const config::Config& config, const Plan& plan, const WindowsExportOptions& options) {
  return Writer(config, plan, options).run();
}

}  // namespace gatehouse::perms

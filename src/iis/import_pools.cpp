// Application pools and FastCGI applications -> Gatehouse [[pools]]. A
// Gatehouse pool is an IIS pool together with the FastCGI application its
// PHP handler names (IIS keys php-cgi process sets the same way).
#include <charconv>
#include <cstdlib>

#include "config/values.hpp"
#include "iis/importer.hpp"

namespace gatehouse::iis {
namespace {

constexpr const char* kApphostPools = "system.applicationHost/applicationPools";

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "-c C:\php\php.ini -d x=y" -> tokens, double quotes removed.
std::vector<std::string> split_arguments(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

bool looks_like_windows_path(std::string_view v) {
  return (v.size() >= 3 && std::isalpha(static_cast<unsigned char>(v[0])) && v[1] == ':' &&
          (v[2] == '\\' || v[2] == '/')) ||
         v.starts_with("\\\\") || v.starts_with("%");
}

// What becomes of each pool attribute (path under <add>), with the reason.
const std::pair<std::string_view, std::pair<Outcome, std::string_view>> kPoolAttributes[] = {
    {"managedRuntimeVersion", {Outcome::Approximated, "an ASP.NET setting: no meaning for php-cgi, dropped"}},
    {"managedPipelineMode", {Outcome::Approximated, "an ASP.NET setting: no meaning for php-cgi, dropped"}},
    {"enable32BitAppOnWin64", {Outcome::Approximated, "w3wp bitness: no meaning on Linux, dropped"}},
    {"autoStart", {Outcome::Approximated, "Gatehouse starts php-cgi workers on demand, dropped"}},
    {"startMode", {Outcome::Approximated, "Gatehouse starts php-cgi workers on demand, dropped"}},
    {"queueLength",
     {Outcome::Approximated,
      "http.sys's queue per pool: Gatehouse queues per pool at the FastCGI level (queue_length, "
      "from fastCgi queueLength); the listen backlog replaces http.sys's queue"}},
    {"processModel/idleTimeout",
     {Outcome::Approximated,
      "the whole worker process's idle timeout: Gatehouse stops idle php-cgi "
      "processes by FastCGI idle_timeout"}},
    {"processModel/maxProcesses", {Outcome::Approximated, "a web garden: Gatehouse's max_instances bounds php-cgi"}},
    {"processModel/setProfileEnvironment", {Outcome::Approximated, "Windows profiles: no meaning on Linux, dropped"}},
    {"processModel/loadUserProfile", {Outcome::Approximated, "Windows profiles: no meaning on Linux, dropped"}},
    {"processModel/pingingEnabled",
     {Outcome::Approximated, "w3wp health pings: php-cgi is watched by activity_timeout"}},
    {"failure/rapidFailProtection",
     {Outcome::Approximated,
      "w3wp crash protection: php-cgi failures are counted by "
      "rapid_fails_per_minute (fastCgi rapidFailsPerMinute)"}},
    {"failure/rapidFailProtectionInterval", {Outcome::Approximated, "see rapidFailProtection"}},
    {"failure/rapidFailProtectionMaxCrashes", {Outcome::Approximated, "see rapidFailProtection"}},
    {"recycling/periodicRestart/requests",
     {Outcome::Approximated, "php-cgi processes recycle after instance_max_requests each"}},
    {"recycling/periodicRestart/time", {Outcome::NotMapped, "Gatehouse has no timed recycling of a pool"}},
    {"recycling/periodicRestart/memory",
     {Outcome::NotMapped, "memory limits need the per-pool cgroup of the confinement work"}},
    {"recycling/periodicRestart/privateMemory",
     {Outcome::Mapped,
      "[pools.limits] instance_memory: a php-cgi child past it is recycled after its request (KB as bytes)"}},
    {"cpu/limit", {Outcome::NotMapped, "CPU limits need the per-pool cgroup of the confinement work"}},
};

}  // namespace

std::string Importer::pool_attribute(const IisPool& pool, std::string_view child, std::string_view name,
                                     std::string_view fallback) const {
  const std::string n{name};
  pugi::xml_node own = child.empty() ? pool.node : child_at(pool.node, child);
  if (auto a = own.attribute(n.c_str())) return a.as_string();
  pugi::xml_node defaults = tree_.apphost_section(kApphostPools).child("applicationPoolDefaults");
  pugi::xml_node d = child.empty() ? defaults : child_at(defaults, child);
  if (auto a = d.attribute(n.c_str())) return a.as_string();
  return std::string{fallback};
}

void Importer::read_pools() {
  for (pugi::xml_node add : tree_.apphost_section(kApphostPools).children("add")) {
    const std::string name = add.attribute("name").as_string();
    if (name.empty()) {
      note(apphost_, add, "applicationPools/add", Outcome::NotMapped, "a pool without a name");
      continue;
    }
    pools_.emplace(lower(name), IisPool{name, add, false});
  }
  // The defaults every pool inherits: reported once, as the pools' own attributes are.
  pugi::xml_node defaults = tree_.apphost_section(kApphostPools).child("applicationPoolDefaults");
  if (defaults) report_pool_attributes(defaults, "applicationPools/applicationPoolDefaults");
}

void Importer::pool_identity(IisPool& pool, config::Pool& out) {
  const std::string element = "applicationPools/add[@name='" + pool.name + "']/processModel";
  pugi::xml_node at = pool.node.child("processModel") ? pool.node.child("processModel") : pool.node;
  const std::string type = pool_attribute(pool, "processModel", "identityType", "ApplicationPoolIdentity");
  const std::string user = pool_attribute(pool, "processModel", "userName", "");
  const std::string lower_type = lower(type);
  out.identity = "ApplicationPoolIdentity";
  if (lower_type == "applicationpoolidentity") {
    note(apphost_, at, element + "@identityType", Outcome::Mapped,
         "ApplicationPoolIdentity (IIS AppPool\\" + pool.name +
             "): the pool's own account, created by Gatehouse (gatehouse check names it)");
  } else if (lower_type == "specificuser") {
    auto it = options_.users.find(lower(user));
    if (it != options_.users.end() && config::is_account_name(it->second)) {
      out.identity = it->second;
      note(apphost_, at, element + "@userName", Outcome::Mapped,
           "SpecificUser " + user + " runs as the existing Linux account " + it->second + " (--user-map)");
    } else {
      note(apphost_, at, element + "@userName", Outcome::Approximated,
           "SpecificUser " + user +
               " needs a decision: the pool gets its own account (as ApplicationPoolIdentity) until "
               "--user-map '" +
               user + "=LINUX_ACCOUNT' names an existing account");
    }
    if (pool_attribute(pool, "processModel", "password", "") != "")
      note(apphost_, at, element + "@password", Outcome::Mapped,
           "the password is neither read nor decrypted: Gatehouse switches to Linux accounts without one");
  } else {
    note(apphost_, at, element + "@identityType", Outcome::Approximated,
         type + " is a built-in Windows account with wide rights: the pool gets its own unprivileged account");
  }
}

void Importer::pool_settings(IisPool& pool) {
  report_pool_attributes(pool.node, "applicationPools/add[@name='" + pool.name + "']");
}

// Every pool attribute IIS wrote gets an outcome; a table keeps the reasons together.
void Importer::report_pool_attributes(pugi::xml_node pool, const std::string& element) {
  auto visit = [&](pugi::xml_node node, const std::string& prefix) {
    for (pugi::xml_attribute a : node.attributes()) {
      const std::string key = prefix + a.name();
      if (key == "name" || key.starts_with("processModel/identityType") || key == "processModel/userName" ||
          key == "processModel/password")
        continue;
      auto it = std::find_if(std::begin(kPoolAttributes), std::end(kPoolAttributes),
                             [&](auto& kv) { return kv.first == key; });
      if (it != std::end(kPoolAttributes))
        note(apphost_, node, element + "/" + key, it->second.first, std::string{it->second.second});
      else
        note(apphost_, node, element + "/" + key, Outcome::NotMapped, "Gatehouse has no equivalent");
    }
  };
  visit(pool, "");
  for (pugi::xml_node child : pool.children()) {
    visit(child, std::string{child.name()} + "/");
    for (pugi::xml_node grand : child.children()) visit(grand, std::string{child.name()} + "/" + grand.name() + "/");
  }
}

std::optional<std::string> Importer::gatehouse_pool(const std::string& iis_pool, const PhpHandler& php,
                                                    const XmlFile& file, pugi::xml_node at) {
  auto it = pools_.find(lower(iis_pool));
  if (it == pools_.end()) {
    note(file, at, "application@applicationPool", Outcome::NotMapped,
         "names the pool '" + iis_pool + "', which applicationPools does not define; the application is left out");
    return std::nullopt;
  }
  IisPool& pool = it->second;
  const std::string key = php.fastcgi ? lower(std::string{php.fastcgi.attribute("fullPath").as_string()} + "|" +
                                              php.fastcgi.attribute("arguments").as_string())
                                      : "";
  const std::string iis_key = lower(iis_pool);
  if (auto found = gh_pools_.find({iis_key, key}); found != gh_pools_.end()) return found->second;
  if (key.empty()) {  // no PHP here: any Gatehouse pool of this IIS pool will do
    for (const auto& [k, name] : gh_pools_)
      if (k.first == iis_key) return name;
  } else if (auto plain = gh_pools_.find({iis_key, ""}); plain != gh_pools_.end()) {
    // A pool first seen without PHP takes on this FastCGI application.
    const std::string name = plain->second;
    gh_pools_.erase(plain);
    gh_pools_[{iis_key, key}] = name;
    for (auto& p : out_.imported.config.pools)
      if (p.name == name) fastcgi_settings(php.fastcgi, p);
    return name;
  }
  config::Pool out;
  out.name = gatehouse_name(pool.name);
  int variants = 0;
  for (const auto& [k, name] : gh_pools_) variants += k.first == iis_key ? 1 : 0;
  if (variants > 0) {
    out.name += "-php" + std::to_string(variants + 1);
    note(file, at, "pool '" + pool.name + "'", Outcome::Approximated,
         "this IIS pool runs a second FastCGI application (" + key +
             "): Gatehouse keys php-cgi sets by pool, so it "
             "becomes the pool '" +
             out.name + "' with its own account");
  } else if (out.name != pool.name) {
    note(apphost_, pool.node, "applicationPools/add[@name='" + pool.name + "']", Outcome::Approximated,
         "renamed '" + out.name + "' (Gatehouse names are letters, digits, '-', '_' and '.')");
  }
  out.php_cgi = options_.php_cgi;
  pool_identity(pool, out);
  // privateMemory (KB, 0: off) is per w3wp; a php-cgi child is its nearest match here.
  if (auto kb =
          std::strtoull(pool_attribute(pool, "recycling/periodicRestart", "privateMemory", "0").c_str(), nullptr, 10);
      kb >= 16 * 1024)
    out.limits.instance_memory_bytes = kb * 1024;
  if (!pool.reported) pool_settings(pool);
  pool.reported = true;
  if (php.fastcgi) fastcgi_settings(php.fastcgi, out);
  gh_pools_[{iis_key, key}] = out.name;
  out_.imported.config.pools.push_back(out);
  return out.name;
}

void Importer::fastcgi_settings(pugi::xml_node app, config::Pool& out) {
  const bool report = first_time(apphost_, app);
  const std::string element = "fastCgi/application[@fullPath='" + std::string{app.attribute("fullPath").as_string()} +
                              "' arguments='" + app.attribute("arguments").as_string() + "']";
  auto say = [&](pugi::xml_node n, const std::string& what, Outcome o, const std::string& why) {
    if (report) note(apphost_, n, element + what, o, why);
  };
  auto& f = out.fastcgi;
  auto count = [&](const char* name, auto& field, std::uint64_t min, std::uint64_t max) {
    pugi::xml_attribute a = app.attribute(name);
    if (!a) return;
    auto v = number(a.as_string());
    if (!v || *v < min || *v > max) {
      say(app, std::string{"@"} + name, Outcome::NotMapped,
          std::string{"expected a number from "} + std::to_string(min) + " to " + std::to_string(max) + ", got '" +
              a.as_string() + "'; the IIS default is kept");
      return;
    }
    field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
    say(app, std::string{"@"} + name, Outcome::Mapped, "pools.fastcgi: " + std::to_string(*v));
  };
  std::uint64_t seconds = 0;
  auto duration = [&](const char* name, config::Seconds& field, std::uint64_t min) {
    seconds = static_cast<std::uint64_t>(field.count());
    count(name, seconds, min, 604800);
    field = config::Seconds{seconds};
  };
  if (auto a = app.attribute("maxInstances"); a && std::string_view{a.as_string()} == "0") {
    say(app, "@maxInstances", Outcome::Approximated,
        "0 (automatic, IIS 8+): Gatehouse needs a number; the IIS 7.5 default 4 is used");
  } else {
    count("maxInstances", f.max_instances, 1, 10000);
  }
  count("instanceMaxRequests", f.instance_max_requests, 1, 10000000);
  duration("idleTimeout", f.idle_timeout, 1);
  duration("activityTimeout", f.activity_timeout, 1);
  duration("requestTimeout", f.request_timeout, 1);
  count("queueLength", f.queue_length, 0, 10000000);
  count("rapidFailsPerMinute", f.rapid_fails_per_minute, 0, 10000000);
  duration("signalBeforeTerminateSeconds", f.signal_before_terminate, 0);
  if (auto a = app.attribute("stderrMode")) {
    if (auto m = config::parse_stderr_mode(a.as_string())) {
      f.stderr_mode = *m;
      say(app, "@stderrMode", Outcome::Mapped, std::string{"pools.fastcgi.stderr_mode: "} + a.as_string());
    } else {
      say(app, "@stderrMode", Outcome::NotMapped, m.error());
    }
  }
  if (auto a = app.attribute("monitorChangesTo"); a && *a.as_string()) {
    if (auto p = map_path(apphost_, app, element + "@monitorChangesTo", a.as_string())) {
      f.monitor_changes_to = *p;
      say(app, "@monitorChangesTo", Outcome::Mapped, "pools.fastcgi.monitor_changes_to: " + *p);
    }
  }
  say(app, "@fullPath", Outcome::Mapped, "php_cgi = " + out.php_cgi.string() + " (--php-cgi)");
  for (const char* name : {"protocol", "flushNamedPipe"})
    if (app.attribute(name))
      say(app, std::string{"@"} + name, Outcome::Approximated,
          "Gatehouse talks to php-cgi over a private Unix socket; dropped");
  for (pugi::xml_attribute a : app.attributes()) {
    static const std::string_view kKnown[] = {
        "fullPath",        "arguments",        "maxInstances", "instanceMaxRequests", "idleTimeout",
        "activityTimeout", "requestTimeout",   "queueLength",  "rapidFailsPerMinute", "signalBeforeTerminateSeconds",
        "stderrMode",      "monitorChangesTo", "protocol",     "flushNamedPipe"};
    if (std::find(std::begin(kKnown), std::end(kKnown), std::string_view{a.name()}) == std::end(kKnown))
      say(app, std::string{"@"} + a.name(), Outcome::NotMapped, "Gatehouse has no equivalent");
  }

  // arguments: "-c php.ini" is the pool's php.ini; other switches belong in php.ini.
  const auto args = split_arguments(app.attribute("arguments").as_string());
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string ini;
    if (args[i] == "-c" && i + 1 < args.size())
      ini = args[++i];
    else if (args[i].starts_with("-c") && args[i].size() > 2)
      ini = args[i].substr(2);
    if (!ini.empty()) {
      if (auto p = map_path(apphost_, app, element + "@arguments", ini)) {
        out.php_ini = *p;
        say(app, "@arguments", Outcome::Mapped, "-c: php_ini = " + *p);
      }
    } else {
      say(app, "@arguments", Outcome::NotMapped,
          "php-cgi argument '" + args[i] + "' is not passed by Gatehouse: put the setting in the pool's php.ini");
    }
  }
  read_environment(app, out, element, report);
}

void Importer::read_environment(pugi::xml_node app, config::Pool& out, const std::string& element, bool report) {
  auto say = [&](pugi::xml_node n, const std::string& what, Outcome o, const std::string& why) {
    if (report) note(apphost_, n, element + what, o, why);
  };
  out.fastcgi.environment.clear();
  for (pugi::xml_node v : app.child("environmentVariables").children("environmentVariable")) {
    const std::string name = v.attribute("name").as_string();
    std::string value = v.attribute("value").as_string();
    const std::string what = "/environmentVariables[@name='" + name + "']";
    const std::string upper = [&] {
      std::string u = name;
      for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return u;
    }();
    if (upper == "PHPRC") {
      auto p = map_path(apphost_, v, element + what, value);
      if (!p) continue;
      const std::string ini = lower(*p).ends_with(".ini") ? *p : *p + "/php.ini";
      if (out.php_ini.empty()) {
        out.php_ini = ini;
        say(v, what, Outcome::Mapped, "PHPRC names the php.ini folder: php_ini = " + ini);
      } else {
        say(v, what, Outcome::Approximated, "PHPRC is overridden by -c; php_ini stays " + out.php_ini.string());
      }
      continue;
    }
    if (upper == "PHP_FCGI_CHILDREN") {
      say(v, what, Outcome::Approximated, "Gatehouse sets PHP_FCGI_CHILDREN itself (one request per process); dropped");
      continue;
    }
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      say(v, what, Outcome::NotMapped, "not a name a Linux environment can carry ([A-Za-z_][A-Za-z0-9_]*)");
      continue;
    }
    Outcome outcome = Outcome::Mapped;
    std::string why = "pools.fastcgi.environment." + name;
    if (looks_like_windows_path(value)) {
      if (auto p = options_.paths.map(value)) {
        value = *p;
        why += " (a Windows path, translated to " + value + ")";
      } else {
        outcome = Outcome::Approximated;
        why += " keeps a Windows path (" + p.error() + ")";
      }
    }
    out.fastcgi.environment.emplace_back(name, value);
    say(v, what, outcome, why);
  }
}

void Importer::report_unused_pools() {
  for (const auto& [key, pool] : pools_) {
    if (pool.reported) continue;
    note(apphost_, pool.node, "applicationPools/add[@name='" + pool.name + "']", Outcome::Approximated,
         "no imported application uses this pool; left out");
  }
}

}  // namespace gatehouse::iis

// Sites, bindings, applications, virtual directories and the PHP handler of
// each application -> Gatehouse [[sites]].
#include <algorithm>

#include "config/values.hpp"
#include "iis/importer.hpp"

namespace gatehouse::iis {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string{s};
}

std::string processor_key(std::string_view full_path, std::string_view arguments) {
  std::string key = lower(trim(full_path)) + "|" + lower(trim(arguments));
  std::replace(key.begin(), key.end(), '/', '\\');
  return key;
}

// "IP:port:host" (IP may be "[v6]") -> "http://IP:PORT:HOST" or why not.
std::expected<std::string, std::string> binding_text(std::string_view info) {
  std::size_t ip_end = info.starts_with('[') ? info.find(']') : info.find(':');
  if (ip_end == std::string_view::npos) return std::unexpected("expected IP:port:host");
  if (info.starts_with('[')) ++ip_end;
  if (ip_end >= info.size() || info[ip_end] != ':') return std::unexpected("expected IP:port:host");
  std::string ip{info.substr(0, ip_end)};
  const std::string_view rest = info.substr(ip_end + 1);
  const std::size_t port_end = rest.find(':');
  if (port_end == std::string_view::npos) return std::unexpected("expected IP:port:host");
  const std::string port{rest.substr(0, port_end)};
  std::string host{rest.substr(port_end + 1)};
  if (ip.empty()) ip = "*";
  if (host.empty()) host = "*";
  return "http://" + ip + ":" + port + ":" + host;
}

std::string join_url(std::string_view app_path, std::string_view sub) {
  if (app_path == "/") return std::string{sub};
  if (sub == "/" || sub.empty()) return std::string{app_path};
  return std::string{app_path} + std::string{sub};
}

}  // namespace

void Importer::read_sites() {
  for (pugi::xml_node site : tree_.apphost_section("system.applicationHost/sites").children("site")) read_site(site);
  pugi::xml_node defaults = tree_.apphost_section("system.applicationHost/sites").child("siteDefaults");
  if (defaults && defaults.first_child())
    note(apphost_, defaults, "sites/siteDefaults", Outcome::Approximated,
         "logging and limits defaults of IIS: Gatehouse writes W3C logs per site under [server].log_dir");
}

void Importer::read_site(pugi::xml_node node) {
  const std::string iis_name = node.attribute("name").as_string();
  const std::string element = "sites/site[@name='" + iis_name + "']";
  config::Site site;
  site.name = gatehouse_name(iis_name);
  if (iis_name.empty()) return note(apphost_, node, "sites/site", Outcome::NotMapped, "a site without a name");
  if (site.name != iis_name)
    note(apphost_, node, element, Outcome::Approximated,
         "renamed '" + site.name + "' (Gatehouse names are letters, digits, '-', '_' and '.')");
  read_bindings(node, site);
  if (site.bindings.empty())
    return note(apphost_, node, element, Outcome::NotMapped, "no binding Gatehouse can serve; the site is left out");

  pugi::xml_node root = node.find_child_by_attribute("application", "path", "/");
  if (!root) return note(apphost_, node, element, Outcome::NotMapped, "no root application (path \"/\"); left out");
  std::vector<std::vector<RewriteRule>> rules;
  site.applications.clear();
  if (!read_application(root, site, rules))
    return note(apphost_, node, element, Outcome::NotMapped, "its root application cannot be imported; left out");
  for (pugi::xml_node app : node.children("application"))
    if (app != root) read_application(app, site, rules);

  for (pugi::xml_attribute a : node.attributes()) {
    const std::string_view name = a.name();
    if (name == "serverAutoStart" && !a.as_bool(true))
      note(apphost_, node, element + "@serverAutoStart", Outcome::Approximated,
           "a stopped site: Gatehouse serves every site of its configuration");
  }
  for (pugi::xml_node child : node.children()) {
    const std::string_view tag = child.name();
    if (tag == "application" || tag == "bindings") continue;
    if (tag == "logFile" || tag == "traceFailedRequestsLogging")
      note(apphost_, child, element + "/" + std::string{tag}, Outcome::Approximated,
           "Gatehouse writes W3C logs per site under [server].log_dir; this setting is dropped");
    else
      note(apphost_, child, element + "/" + std::string{tag}, Outcome::NotMapped, "Gatehouse has no equivalent");
  }
  read_default_documents(site.name == iis_name ? iis_name : iis_name, site, true);
  for (std::size_t i = 1; i < site.applications.size(); ++i) {
    // Gatehouse keeps one list per site; IIS's per-application lists are compared and reported.
    config::Site probe;
    probe.default_documents = site.default_documents;
    read_default_documents(iis_name + site.applications[i].path, probe, false);
    if (probe.default_documents != site.default_documents)
      note(apphost_, root, element + " application '" + site.applications[i].path + "' defaultDocument",
           Outcome::Approximated, "Gatehouse has one default document list per site; the site root's list is used");
  }
  site_index_[lower(iis_name)] = out_.imported.config.sites.size();
  out_.imported.config.sites.push_back(site);
  out_.imported.rewrite.push_back(std::move(rules));
}

void Importer::read_bindings(pugi::xml_node site, config::Site& out) {
  const std::string element = "sites/site[@name='" + std::string{site.attribute("name").as_string()} + "']/binding";
  for (pugi::xml_node b : site.child("bindings").children("binding")) {
    const std::string protocol = lower(b.attribute("protocol").as_string());
    const std::string info = b.attribute("bindingInformation").as_string();
    const std::string what = element + "[" + protocol + " " + info + "]";
    if (protocol == "https") {
      std::string cert = b.attribute("certificateHash").as_string();
      note(apphost_, b, what, Outcome::NotMapped,
           "HTTPS: Gatehouse serves plain HTTP; the certificate" + (cert.empty() ? "" : " (hash " + cert + ")") +
               " needs the administrator (export it, terminate TLS in front of Gatehouse)");
      continue;
    }
    if (protocol != "http") {
      note(apphost_, b, what, Outcome::NotMapped, "protocol '" + protocol + "' is not served by Gatehouse");
      continue;
    }
    auto text = binding_text(info);
    if (!text) {
      note(apphost_, b, what, Outcome::NotMapped, text.error() + ", got '" + info + "'; left out");
      continue;
    }
    auto parsed = config::parse_binding(*text);
    if (!parsed) {
      note(apphost_, b, what, Outcome::NotMapped, parsed.error() + "; left out");
      continue;
    }
    const bool duplicate = std::any_of(out.bindings.begin(), out.bindings.end(), [&](const config::Binding& x) {
      return x.ip == parsed->ip && x.port == parsed->port && x.host == parsed->host;
    });
    if (duplicate) {
      note(apphost_, b, what, Outcome::Mapped, "the same as an earlier binding of this site");
      continue;
    }
    out.bindings.push_back(*parsed);
    note(apphost_, b, what, Outcome::Mapped, "binding " + *text);
  }
}

bool Importer::read_application(pugi::xml_node app, config::Site& site, std::vector<std::vector<RewriteRule>>& rules) {
  const std::string iis_site = app.parent().attribute("name").as_string();
  const std::string raw_path = app.attribute("path").as_string();
  const std::string element = "sites/site[@name='" + iis_site + "']/application[@path='" + raw_path + "']";
  config::Application out;
  if (raw_path == "/") {
    out.path = "/";
  } else if (auto p = config::parse_url_path(raw_path)) {
    out.path = *p;
  } else {
    note(apphost_, app, element, Outcome::NotMapped, p.error() + "; left out");
    return false;
  }
  pugi::xml_node root_dir = app.find_child_by_attribute("virtualDirectory", "path", "/");
  if (!root_dir) {
    note(apphost_, app, element, Outcome::NotMapped, "no virtual directory \"/\" (its content); left out");
    return false;
  }
  auto physical = map_path(apphost_, root_dir, element + "/virtualDirectory[@path='/']@physicalPath",
                           root_dir.attribute("physicalPath").as_string());
  if (!physical) return false;
  out.physical_path = *physical;
  out.app_root = out.physical_path;
  const std::string config_path = iis_site + (out.path == "/" ? "" : out.path);
  app_paths_.insert(normalise_config_path(config_path));

  std::string pool_name = app.attribute("applicationPool").as_string();
  if (pool_name.empty())
    pool_name = tree_.apphost_section("system.applicationHost/sites")
                    .child("applicationDefaults")
                    .attribute("applicationPool")
                    .as_string("DefaultAppPool");
  auto php = php_handler(config_path, apphost_, app);
  auto pool = gatehouse_pool(pool_name, php ? *php : PhpHandler{}, apphost_, app);
  if (!pool) return false;
  out.pool = *pool;
  note(apphost_, app, element, Outcome::Mapped,
       "application " + out.path + " -> " + out.physical_path.string() + ", pool " + out.pool);
  if (root_dir.attribute("userName") || root_dir.attribute("password"))
    note(apphost_, root_dir, element + "/virtualDirectory[@path='/']@userName", Outcome::NotMapped,
         "'connect as' " + std::string{root_dir.attribute("userName").as_string()} +
             ": Gatehouse reads content as the pool and anonymous accounts only; grant them access instead");

  for (const auto& ext : php ? php->extensions : std::vector<std::string>{})
    if (std::find(site.php_extensions.begin(), site.php_extensions.end(), ext) == site.php_extensions.end())
      site.php_extensions.push_back(ext);
  if (out.path == "/" && !php) {
    site.php_extensions.clear();
    note(apphost_, app, element, Outcome::Mapped,
         "no PHP handler: php_extensions = [] (.php files are neither run nor served, as IIS answers 404.3)");
  }
  if (out.path == "/" && php) site.php_extensions = php->extensions;

  read_authentication(config_path, out);
  rules.emplace_back();
  read_rewrite(config_path, rules.back(), out.path == "/");
  read_request_filtering(config_path, out);
  read_handler_policy(tree_.section(config_path, "system.webServer/handlers"), out.path, site);
  if (out.path != "/") report_inherited_filtering(site.root(), out, app, element);
  read_other_sections(config_path);

  for (pugi::xml_node dir : app.children("virtualDirectory")) {
    if (dir == root_dir) continue;
    const std::string dir_path = dir.attribute("path").as_string();
    const std::string what = element + "/virtualDirectory[@path='" + dir_path + "']";
    auto url = config::parse_url_path(join_url(out.path, dir_path));
    if (!url) {
      note(apphost_, dir, what, Outcome::NotMapped, url.error() + "; left out");
      continue;
    }
    auto dir_physical = map_path(apphost_, dir, what + "@physicalPath", dir.attribute("physicalPath").as_string());
    if (!dir_physical) continue;
    site.virtual_directories.push_back(config::VirtualDirectory{*url, *dir_physical, {}});
    note(apphost_, dir, what, Outcome::Mapped, "virtual directory " + *url + " -> " + *dir_physical);
    if (dir.attribute("userName"))
      note(apphost_, dir, what + "@userName", Outcome::NotMapped,
           "'connect as' " + std::string{dir.attribute("userName").as_string()} +
               ": Gatehouse reads content as the pool and anonymous accounts only; grant them access instead");
  }
  site.applications.push_back(out);
  if (!php && site.applications.size() > 1 && !site.php_extensions.empty())
    note(apphost_, app, element, Outcome::NotMapped,
         "no PHP handler in this application, but the site runs PHP elsewhere: Gatehouse's php_extensions "
         "are per "
         "site, so .php files here would run in pool " +
             out.pool);
  return true;
}

std::optional<PhpHandler> Importer::php_handler(const std::string& config_path, const XmlFile& file,
                                                pugi::xml_node at) {
  const auto sections = tree_.section(config_path, "system.webServer/handlers");
  const auto entries = fold_collection(sections, "", "name", false);
  PhpHandler php;
  std::string processor;
  for (const auto& e : entries) {
    if (lower(e.node.attribute("modules").as_string()).find("fastcgimodule") == std::string::npos) continue;
    const std::string path = lower(e.node.attribute("path").as_string());
    if (!path.starts_with("*.") || path.find_first_of("/\\*", 2) != std::string::npos) continue;
    const std::string this_processor = e.node.attribute("scriptProcessor").as_string();
    if (processor.empty() && path == "*.php") {
      php.handler = e;
      processor = this_processor;
    }
  }
  if (!php.handler.level) return std::nullopt;
  for (const auto& e : entries) {
    if (lower(e.node.attribute("modules").as_string()).find("fastcgimodule") == std::string::npos) continue;
    const std::string path = lower(e.node.attribute("path").as_string());
    if (path.starts_with("*.") && path.find_first_of("/\\*", 2) == std::string::npos &&
        lower(e.node.attribute("scriptProcessor").as_string()) == lower(processor))
      php.extensions.push_back(path.substr(1));
  }
  const std::size_t bar = processor.find('|');
  const std::string key = processor_key(processor.substr(0, bar),
                                        bar == std::string::npos ? "" : std::string_view{processor}.substr(bar + 1));
  for (pugi::xml_node app : tree_.apphost_section("system.webServer/fastCgi").children("application"))
    if (processor_key(app.attribute("fullPath").as_string(), app.attribute("arguments").as_string()) == key)
      php.fastcgi = app;

  const XmlFile& hfile = *php.handler.level->file;
  const pugi::xml_node h = php.handler.node;
  const std::string element = "handlers/add[@name='" + std::string{h.attribute("name").as_string()} + "']";
  if (first_time(hfile, h)) {
    if (!php.fastcgi)
      note(hfile, h, element, Outcome::NotMapped,
           "scriptProcessor '" + processor + "' names no fastCgi application; FastCGI settings take IIS's defaults");
    else
      note(hfile, h, element, Outcome::Mapped, "the PHP handler: its FastCGI application gives the pool's settings");
    const std::string resource = lower(h.attribute("resourceType").as_string("Unspecified"));
    if (resource != "file")
      note(hfile, h, element + "@resourceType", Outcome::Approximated,
           "resourceType " + resource + ": Gatehouse always verifies that the script exists (resourceType File)");
    const std::string access = lower(h.attribute("requireAccess").as_string("Script"));
    if (access != "script")
      note(hfile, h, element + "@requireAccess", Outcome::Approximated,
           "requireAccess " + access + ": Gatehouse runs PHP where scripts are allowed (Script)");
    const std::string verb = lower(h.attribute("verb").as_string("*"));
    if (verb != "*")
      note(hfile, h, element + "@verb", Outcome::Approximated,
           "verbs '" + verb + "': Gatehouse hands every verb to PHP; the script decides");
  }
  (void)file;
  (void)at;
  return php;
}

}  // namespace gatehouse::iis

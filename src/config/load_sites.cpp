// Reads [[sites]]: bindings, the root application, [[sites.applications]],
// [[sites.virtual_directories]] and authentication (inherited per field).
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

// Fields given here override `auth`, which starts as the inherited value.
void read_authentication(TableReader& parent, Authentication& auth) {
  const toml::table* table = parent.table("authentication");
  if (!table) return;
  TableReader t{*parent.state(), *table, parent.key("authentication"), "[sites.authentication]"};
  t.reject_unknown({"anonymous", "basic"});
  if (const toml::table* anonymous = t.table("anonymous")) {
    TableReader a{*t.state(), *anonymous, t.key("anonymous"), "[sites.authentication.anonymous]"};
    a.reject_unknown({"enabled", "user"});
    a.boolean("enabled", auth.anonymous_enabled);
    std::string user;
    a.string("user", user);
    if (user == "IUSR") auth.anonymous_user = AnonymousUser::Iusr;
    else if (user == "pool") auth.anonymous_user = AnonymousUser::Pool;
    else if (a.has("user") && a.node("user")->is_string())
      a.problem("user", "expected \"IUSR\" (the anonymous account) or \"pool\" (the pool identity), got " +
                            in_quotes(user));
  }
  if (const toml::table* basic = t.table("basic")) {
    TableReader b{*t.state(), *basic, t.key("basic"), "[sites.authentication.basic]"};
    b.reject_unknown({"enabled", "realm"});
    b.boolean("enabled", auth.basic_enabled);
    b.string("realm", auth.basic_realm);
  }
}

void read_url_path(TableReader& t, std::string& out) {
  std::string text;
  t.string("path", text);
  if (!t.has("path")) return t.problem("path", "missing key 'path' (a URL path like \"/blog\")");
  if (!t.node("path")->is_string()) return;
  if (auto parsed = parse_url_path(text)) out = *parsed;
  else t.problem("path", parsed.error());
}

void require(TableReader& t, std::string_view name, std::string_view what) {
  if (!t.has(name)) t.problem(name, "missing key '" + std::string{name} + "' (" + std::string{what} + ")");
}

// writable = ["/srv/a/uploads", { path = "/srv/a/cache", execute = true }]:
// plain paths are folders where scripts never run; execute = true opts out.
void read_writable(TableReader& t, Application& app) {
  const toml::node* n = t.node("writable");
  if (!n) return;
  t.record("writable", *n);
  const toml::array* array = n->as_array();
  if (!array) return t.problem("writable", "expected an array of absolute paths, got " + describe(*n));
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const std::string item_key = t.key("writable[" + std::to_string(i) + "]");
    t.state()->positions[item_key] = t.state()->pos(item.source());  // for check_paths' messages
    auto bad = [&](std::string message) { t.state()->add(t.state()->pos(item.source()), item_key, std::move(message)); };
    std::string text;
    bool execute = false;
    if (const auto* s = item.as_string()) {
      text = s->get();
    } else if (const auto* table = item.as_table()) {
      TableReader w{*t.state(), *table, item_key, "writable item"};
      w.reject_unknown({"path", "execute"});
      w.string("path", text);
      w.boolean("execute", execute);
      if (!w.has("path")) w.problem("path", "missing key 'path' (the writable folder)");
    } else {
      bad("expected an absolute path or { path = \"...\", execute = true }, got " + describe(item));
      continue;
    }
    if (text.empty() || text.front() != '/') {
      bad("expected an absolute path, got " + in_quotes(text));
      continue;
    }
    app.writable.push_back(clean_path(text));
    if (execute) app.writable_scripts.push_back(clean_path(text));
  }
}

// The fields an application shares with the site's root application.
void read_application_fields(TableReader& t, Application& app) {
  require(t, "physical_path", "the folder served at this path");
  t.absolute_path("physical_path", app.physical_path);
  t.absolute_path("app_root", app.app_root);
  if (!t.has("app_root")) app.app_root = app.physical_path;
  t.string("pool", app.pool);
  read_writable(t, app);
  read_authentication(t, app.authentication);
}

Application read_application(TableReader& t, const Application& site_root) {
  Application app;
  app.pos = t.pos();
  app.pool = site_root.pool;
  app.authentication = site_root.authentication;
  t.reject_unknown({"path", "app_root", "physical_path", "pool", "writable", "authentication"});
  read_url_path(t, app.path);
  read_application_fields(t, app);
  return app;
}

VirtualDirectory read_virtual_directory(TableReader& t) {
  VirtualDirectory dir;
  dir.pos = t.pos();
  t.reject_unknown({"path", "physical_path"});
  read_url_path(t, dir.path);
  require(t, "physical_path", "the folder served at this path");
  t.absolute_path("physical_path", dir.physical_path);
  return dir;
}

void read_bindings(TableReader& t, std::vector<Binding>& out) {
  std::vector<std::string> texts;
  t.strings("bindings", texts);
  if (!t.has("bindings")) return t.problem("bindings", "missing key 'bindings' (like [\"http://*:80:*\"])");
  if (t.node("bindings")->is_array() && t.node("bindings")->as_array()->empty())
    return t.problem("bindings", "expected at least one binding like \"http://*:80:*\", got an empty array");
  const toml::array* array = t.node("bindings")->as_array();
  for (std::size_t i = 0; i < texts.size() && array; ++i) {
    const std::string item = "bindings[" + std::to_string(i) + "]";
    if (auto parsed = parse_binding(texts[i])) {
      out.push_back(*parsed);
    } else {
      t.state()->add(t.state()->pos(array->get(i)->source()), t.key(item), parsed.error());
    }
  }
}

// Extensions like ".php"; file names without '/'.
void check_names(TableReader& t, std::string_view name, const std::vector<std::string>& values, bool extension) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& v = values[i];
    bool ok = !v.empty() && v.find('/') == std::string::npos && v != "." && v != "..";
    if (extension) ok = ok && v.size() > 1 && v.front() == '.' && v.find('.', 1) == std::string::npos;
    if (ok) continue;
    const std::string item = std::string{name} + "[" + std::to_string(i) + "]";
    t.state()->add(t.state()->pos_or(t.key(item), t.pos()), t.key(item),
                   std::string{"expected "} + (extension ? "an extension like \".php\"" : "a file name without '/'") +
                       ", got " + in_quotes(v));
  }
}

Site read_site(TableReader& t) {
  Site site;
  site.pos = t.pos();
  t.reject_unknown({"name", "bindings", "app_root", "physical_path", "pool", "default_documents", "php_extensions",
                    "writable", "authentication", "applications", "virtual_directories"});
  t.string("name", site.name);
  require(t, "name", "the site's name");
  if (t.has("name") && t.node("name")->is_string() && !is_object_name(site.name))
    t.problem("name", "expected a name of letters, digits, '-', '_' or '.', got " + in_quotes(site.name));
  read_bindings(t, site.bindings);
  t.strings("default_documents", site.default_documents);
  check_names(t, "default_documents", site.default_documents, false);
  t.strings("php_extensions", site.php_extensions);
  check_names(t, "php_extensions", site.php_extensions, true);

  Application root;
  root.path = "/";
  root.pos = site.pos;
  require(t, "pool", "the application pool serving the site");
  read_application_fields(t, root);
  site.applications.push_back(root);

  const auto apps = t.tables("applications");
  for (std::size_t i = 0; i < apps.size(); ++i) {
    if (!apps[i]) {
      site.applications.emplace_back();
      continue;
    }
    TableReader a{*t.state(), *apps[i], t.key("applications[" + std::to_string(i) + "]"), "[[sites.applications]]"};
    site.applications.push_back(read_application(a, site.applications.front()));
  }
  const auto dirs = t.tables("virtual_directories");
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    if (!dirs[i]) {
      site.virtual_directories.emplace_back();
      continue;
    }
    TableReader d{*t.state(), *dirs[i], t.key("virtual_directories[" + std::to_string(i) + "]"),
                  "[[sites.virtual_directories]]"};
    site.virtual_directories.push_back(read_virtual_directory(d));
  }
  return site;
}

}  // namespace

std::string application_key(std::size_t site, std::size_t app) {
  const std::string key = "sites[" + std::to_string(site) + "]";
  return app == 0 ? key : key + ".applications[" + std::to_string(app - 1) + "]";
}

void read_sites(TableReader& root, std::vector<Site>& sites) {
  const auto tables = root.tables("sites");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (!tables[i]) {
      sites.emplace_back();
      continue;
    }
    TableReader t{*root.state(), *tables[i], "sites[" + std::to_string(i) + "]", "[[sites]]"};
    sites.push_back(read_site(t));
  }
}

}  // namespace gatehouse::config

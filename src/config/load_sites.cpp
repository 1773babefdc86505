// Reads [[sites]]: bindings, the root application, [[sites.applications]],
// [[sites.virtual_directories]] and authentication (inherited per field).
#include <algorithm>

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

// Adds the table's lists to `out` (which holds the inherited ones).
void read_request_filtering(TableReader& parent, RequestFiltering& out) {
  const toml::table* table = parent.table("request_filtering");
  if (!table) return;
  TableReader t{*parent.state(), *table, parent.key("request_filtering"), "[sites.request_filtering]"};
  t.reject_unknown({"hidden_segments", "denied_url_sequences", "denied_extensions", "allowed_extensions"});
  auto add = [&](std::string_view name, std::vector<std::string>& list, bool extension) {
    std::vector<std::string> values;
    t.strings(name, values);
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::string v = values[i];
      for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      const bool ok =
          extension ? (v == "." ||
                       (v.size() > 1 && v.front() == '.' && v.find_first_of("./", 1) == std::string::npos))
                    : (!v.empty() && (name != "hidden_segments" || v.find('/') == std::string::npos));
      if (!ok) {
        const std::string item = std::string{name} + "[" + std::to_string(i) + "]";
        t.state()->add(t.state()->pos_or(t.key(item), t.pos()), t.key(item),
                       std::string{"expected "} +
                           (extension                   ? "an extension like \".json\" (or \".\" for none)"
                            : name == "hidden_segments" ? "a URL segment without '/' like \"vendor\""
                                                        : "a non-empty URL sequence like \"/vendor/\"") +
                           ", got " + in_quotes(values[i]));
        continue;
      }
      if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
    }
  };
  add("hidden_segments", out.hidden_segments, false);
  add("denied_url_sequences", out.denied_url_sequences, false);
  add("denied_extensions", out.denied_extensions, true);
  add("allowed_extensions", out.allowed_extensions, true);
}

void read_handler_policies(TableReader& t, std::vector<HandlerPolicy>& out) {
  const auto tables = t.tables("handler_policies");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (!tables[i]) continue;
    TableReader p{*t.state(), *tables[i], t.key("handler_policies[" + std::to_string(i) + "]"),
                  "[[sites.handler_policies]]"};
    p.reject_unknown({"path", "scripts"});
    HandlerPolicy policy;
    policy.pos = p.pos();
    if (p.has("path") && p.node("path")->is_string() && p.node("path")->as_string()->get() == "/") {
      p.string("path", policy.path);
    } else {
      read_url_path(p, policy.path);
    }
    if (!p.has("scripts"))
      p.problem("scripts",
                "missing key 'scripts' (false: static files only, as IIS's accessPolicy=\"Read\")");
    p.boolean("scripts", policy.scripts);
    out.push_back(std::move(policy));
  }
}

// The fields an application shares with the site's root application.
void read_application_fields(TableReader& t, Application& app) {
  require(t, "physical_path", "the folder served at this path");
  t.absolute_path("physical_path", app.physical_path);
  t.absolute_path("app_root", app.app_root);
  if (!t.has("app_root")) app.app_root = app.physical_path;
  t.string("pool", app.pool);
  t.absolute_paths("writable", app.writable);
  t.strings("share_with", app.share_with);
  read_request_filtering(t, app.request_filtering);
  read_authentication(t, app.authentication);
}

Application read_application(TableReader& t, const Application& site_root) {
  Application app;
  app.pos = t.pos();
  app.pool = site_root.pool;
  app.authentication = site_root.authentication;
  app.request_filtering = site_root.request_filtering;
  t.reject_unknown({"path", "app_root", "physical_path", "pool", "writable", "share_with",
                    "request_filtering", "authentication"});
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
  t.reject_unknown({"name", "bindings", "app_root", "physical_path", "pool", "default_documents",
                    "php_extensions", "writable", "share_with", "request_filtering", "handler_policies",
                    "authentication", "applications", "virtual_directories"});
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
  read_handler_policies(t, site.handler_policies);
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

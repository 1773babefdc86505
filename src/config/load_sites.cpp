// Reads [[sites]]: bindings, the root application, [[sites.applications]],
// [[sites.virtual_directories]] and authentication (inherited per field).
#include <algorithm>

#include "config/keys.hpp"
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

void read_anonymous_user(TableReader& t, std::string_view key, Authentication& auth) {
  std::string user;
  t.string(key, user);
  if (user == "IUSR")
    auth.anonymous_user = AnonymousUser::Iusr;
  else if (user == "pool")
    auth.anonymous_user = AnonymousUser::Pool;
  else if (t.node(key)->is_string())
    t.problem(key, "expected \"IUSR\" (the anonymous account) or \"pool\" (the pool identity), got " + in_quotes(user));
}

// Fields given here override the authentication inherited from the site.
const Keys<Authentication> kAnonymousKeys = {
    field("enabled", &Authentication::anonymous_enabled),
    custom("user", read_anonymous_user),
};
const Keys<Authentication> kBasicKeys = {
    field("enabled", &Authentication::basic_enabled),
    field("realm", &Authentication::basic_realm),
};
const Keys<Authentication> kAuthenticationKeys = {
    section("anonymous", "[sites.authentication.anonymous]", kAnonymousKeys),
    section("basic", "[sites.authentication.basic]", kBasicKeys),
};

template <class T>
void read_url_path(TableReader& t, std::string_view key, T& out) {
  std::string text;
  t.string(key, text);
  if (!t.node(key)->is_string()) return;
  if (auto parsed = parse_url_path(text))
    out.path = *parsed;
  else
    t.problem(key, parsed.error());
}

constexpr std::string_view kUrlPath = "a URL path like \"/blog\"";
constexpr std::string_view kServedFolder = "the folder served at this path";

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
    auto bad = [&](std::string message) {
      t.state()->add(t.state()->pos(item.source()), item_key, std::move(message));
    };
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

void read_writable_key(TableReader& t, std::string_view, Application& app) { read_writable(t, app); }

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
          extension ? (v == "." || (v.size() > 1 && v.front() == '.' && v.find_first_of("./", 1) == std::string::npos))
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
    if (!p.has("path")) {
      p.problem("path", "missing key 'path' (a URL path like \"/images\")");
    } else if (p.node("path")->is_string() && p.node("path")->as_string()->get() == "/") {
      p.string("path", policy.path);
    } else {
      read_url_path(p, "path", policy);
    }
    if (!p.has("scripts"))
      p.problem("scripts", "missing key 'scripts' (false: static files only, as IIS's accessPolicy=\"Read\")");
    p.boolean("scripts", policy.scripts);
    out.push_back(std::move(policy));
  }
}

void read_request_filtering_key(TableReader& t, std::string_view, Application& app) {
  read_request_filtering(t, app.request_filtering);
}
void read_handler_policies_key(TableReader& t, std::string_view, Site& site) {
  read_handler_policies(t, site.handler_policies);
}

// The keys an application shares with its site (the site's root application).
const Key<Application> kAppRoot = field("app_root", &Application::app_root);
const Key<Application> kPhysicalPath = required(field("physical_path", &Application::physical_path), kServedFolder);
const Key<Application> kPool = field("pool", &Application::pool);
const Key<Application> kWritable = custom("writable", read_writable_key);
const Key<Application> kShareWith = field("share_with", &Application::share_with);
const Key<Application> kRequestFiltering = custom("request_filtering", read_request_filtering_key);
const Key<Application> kAuthentication =
    section("authentication", "[sites.authentication]", &Application::authentication, kAuthenticationKeys);

// Rewrite rules and front_controller need the site's php_extensions: the
// keys are declared here and read by read_rewrite once the table is read.
template <class T>
void read_after(TableReader&, std::string_view, T&) {}

const Keys<Application> kApplicationKeys = {
    required(custom("path", read_url_path<Application>), kUrlPath),
    kAppRoot,
    kPhysicalPath,
    kPool,
    kWritable,
    kShareWith,
    kRequestFiltering,
    kAuthentication,
    custom("front_controller", read_after<Application>),
    custom("rewrite", read_after<Application>),
};

const Keys<VirtualDirectory> kVirtualDirectoryKeys = {
    required(custom("path", read_url_path<VirtualDirectory>), kUrlPath),
    required(field("physical_path", &VirtualDirectory::physical_path), kServedFolder),
};

// app_root defaults to the folder served.
void default_app_root(const TableReader& t, Application& app) {
  if (!t.has("app_root")) app.app_root = app.physical_path;
}

Application read_application(TableReader& t, const Site& site) {
  Application app;
  app.pos = t.pos();
  app.pool = site.root().pool;
  app.authentication = site.root().authentication;
  app.request_filtering = site.root().request_filtering;  // the site's lists, then the application's own
  read_keys(t, kApplicationKeys, app);
  default_app_root(t, app);
  read_rewrite(t, "sites.applications", site.php_extensions, app.rewrite, app.front_controller);
  return app;
}

VirtualDirectory read_virtual_directory(TableReader& t, const Site&) {
  VirtualDirectory dir;
  dir.pos = t.pos();
  read_keys(t, kVirtualDirectoryKeys, dir);
  return dir;
}

// One binding written as a table: { url = "https://...", certificate = ..., key = ... }.
const Keys<Binding> kBindingKeys = {
    required(custom(
                 "url",
                 +[](TableReader& t, std::string_view k, Binding& b) {
                   std::string text;
                   t.string(k, text);
                   if (!t.node(k)->is_string()) return;
                   auto parsed = parse_binding(text);
                   if (!parsed) return t.problem(k, parsed.error());
                   auto certificate = std::move(b.certificate);
                   auto key = std::move(b.key);
                   b = std::move(*parsed);
                   b.certificate = std::move(certificate), b.key = std::move(key);
                 }),
             "like \"https://*:443:*\""),
    field("certificate", &Binding::certificate),
    field("key", &Binding::key),
};

void read_bindings(TableReader& t, std::string_view key, Site& site) {
  const toml::node* node = t.node(key);
  t.record(key, *node);
  const toml::array* array = node->as_array();
  if (!array) return t.problem(key, "expected an array of bindings like [\"http://*:80:*\"], got " + describe(*node));
  if (array->empty()) return t.problem(key, "expected at least one binding like \"http://*:80:*\", got an empty array");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string{key} + "[" + std::to_string(i) + "]";
    const toml::node& value = *array->get(i);
    t.state()->positions[t.key(item)] = t.state()->pos(value.source());
    if (const auto* table = value.as_table()) {
      TableReader sub{*t.state(), *table, t.key(item), "[[sites.bindings]]"};
      Binding binding;
      read_keys(sub, kBindingKeys, binding);
      if (binding.text.empty()) continue;  // no valid url: already reported
      if (!binding.https() && (binding.certificate || binding.key))
        sub.problem(binding.certificate ? "certificate" : "key",
                    "a certificate or key belongs to an https binding, not " + in_quotes(binding.text));
      site.bindings.push_back(std::move(binding));
      continue;
    }
    const auto* text = value.as_string();
    auto parsed =
        text ? parse_binding(text->get())
             : Parsed<Binding>(std::unexpected("expected a string or a table { url = ... }, got " + describe(value)));
    if (parsed)
      site.bindings.push_back(*parsed);
    else
      t.state()->add(t.state()->pos(value.source()), t.key(item), parsed.error());
  }
}

const Keys<SiteTls> kSiteTlsKeys = {
    field("certificate", &SiteTls::certificate),
    field("key", &SiteTls::key),
    field("ocsp_response", &SiteTls::ocsp_response),
    field("hsts", &SiteTls::hsts),
    field("redirect_to_https", &SiteTls::redirect_to_https),
};

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

void read_default_documents(TableReader& t, std::string_view key, Site& site) {
  t.strings(key, site.default_documents);
  check_names(t, key, site.default_documents, false);
}

void read_php_extensions(TableReader& t, std::string_view key, Site& site) {
  t.strings(key, site.php_extensions);
  check_names(t, key, site.php_extensions, true);
}

void read_site_name(TableReader& t, std::string_view key, Site& site) {
  t.string(key, site.name);
  if (t.node(key)->is_string() && !is_object_name(site.name))
    t.problem(key, "expected a name of letters, digits, '-', '_' or '.', got " + in_quotes(site.name));
}

Application& root_of(Site& site) { return site.applications.front(); }

const Keys<Site> kSiteKeys = {
    required(custom("name", read_site_name), "the site's name"),
    required(custom("bindings", read_bindings), "like [\"http://*:80:*\"]"),
    on_part(kAppRoot, root_of),
    on_part(kPhysicalPath, root_of),
    required(on_part(kPool, root_of), "the application pool serving the site"),
    custom("default_documents", read_default_documents),
    custom("php_extensions", read_php_extensions),
    on_part(kWritable, root_of),
    on_part(kShareWith, root_of),
    on_part(kRequestFiltering, root_of),
    custom("handler_policies", read_handler_policies_key),
    on_part(kAuthentication, root_of),
    section("tls", "[sites.tls]", &Site::tls, kSiteTlsKeys),
    tables("applications", "[[sites.applications]]", &Site::applications, read_application),
    tables("virtual_directories", "[[sites.virtual_directories]]", &Site::virtual_directories, read_virtual_directory),
    custom("front_controller", read_after<Site>),
    custom("rewrite", read_after<Site>),
    field("proxy_protocol", &Site::proxy_protocol),
    field("forwarded_headers", &Site::forwarded_headers),
};

Site read_site(TableReader& t, const Config&) {
  Site site;
  site.pos = t.pos();
  Application root;
  root.path = "/";
  root.pos = site.pos;
  site.applications.push_back(root);  // [0]: the keys above read into it
  read_keys(t, kSiteKeys, site);
  default_app_root(t, site.applications.front());
  read_rewrite(t, "sites", site.php_extensions, site.rewrite, site.front_controller);
  return site;
}

}  // namespace

std::string application_key(std::size_t site, std::size_t app) {
  const std::string key = "sites[" + std::to_string(site) + "]";
  return app == 0 ? key : key + ".applications[" + std::to_string(app - 1) + "]";
}

Key<Config> sites_key() { return tables("sites", "[[sites]]", &Config::sites, read_site); }

}  // namespace gatehouse::config

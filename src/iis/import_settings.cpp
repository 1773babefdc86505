// Per-application settings: authentication (inherited server -> site ->
// <location>), default documents, request filtering, rewrite rules, and a
// report for every other section written at a level Gatehouse reads.
#include <algorithm>

#include "config/values.hpp"
#include "iis/importer.hpp"

namespace gatehouse::iis {
namespace {

constexpr const char* kAuth = "system.webServer/security/authentication/";
constexpr const char* kFiltering = "system.webServer/security/requestFiltering";

// Sections whose settings import_*.cpp carries over (or reports) itself.
bool is_handled(std::string_view s) {
  static const std::string_view kHandled[] = {
      "system.webServer/security/authentication/anonymousAuthentication",
      "system.webServer/security/authentication/basicAuthentication",
      "system.webServer/security/authentication/windowsAuthentication",
      "system.webServer/security/authentication/digestAuthentication",
      "system.webServer/defaultDocument",
      "system.webServer/handlers",
      "system.webServer/security/requestFiltering",
      "system.webServer/rewrite/rules",
      "system.webServer/rewrite/globalRules",
      "system.webServer/fastCgi",
  };
  return std::find(std::begin(kHandled), std::end(kHandled), s) != std::end(kHandled);
}

// Every section element under a level: system.webServer/x, with the section
// groups security, security/authentication and rewrite opened.
std::vector<std::pair<std::string, pugi::xml_node>> sections_of(pugi::xml_node level) {
  std::vector<std::pair<std::string, pugi::xml_node>> out;
  for (pugi::xml_node top : level.children()) {
    const std::string name = top.name();
    if (top.type() != pugi::node_element || name == "location" || name == "configSections" ||
        name == "configProtectedData" || name == "system.applicationHost")
      continue;
    if (name != "system.webServer") {
      out.emplace_back(name, top);
      continue;
    }
    for (pugi::xml_node s : top.children()) {
      const std::string sname = "system.webServer/" + std::string{s.name()};
      if (sname == "system.webServer/security" || sname == "system.webServer/rewrite") {
        for (pugi::xml_node inner : s.children()) {
          const std::string iname = sname + "/" + inner.name();
          if (iname == "system.webServer/security/authentication") {
            for (pugi::xml_node a : inner.children()) out.emplace_back(iname + "/" + a.name(), a);
          } else {
            out.emplace_back(iname, inner);
          }
        }
      } else if (s.type() == pugi::node_element) {
        out.emplace_back(sname, s);
      }
    }
  }
  return out;
}

std::string list(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

void Importer::read_authentication(const std::string& config_path, config::Application& app) {
  const std::string for_app = " (" + config_path + ")";
  const auto anonymous = tree_.section(config_path, std::string{kAuth} + "anonymousAuthentication");
  auto& auth = app.authentication;
  const auto enabled = fold_attribute(anonymous, "enabled");
  auth.anonymous_enabled = enabled ? lower(enabled.value) == "true" : false;
  if (enabled)
    note(enabled.level, enabled.node, "anonymousAuthentication@enabled" + for_app, Outcome::Mapped,
         std::string{"anonymous.enabled = "} + (auth.anonymous_enabled ? "true" : "false"));
  else
    note(apphost_, apphost_.doc().document_element(), "anonymousAuthentication" + for_app, Outcome::Mapped,
         "set nowhere: IIS's schema default, anonymous.enabled = false");
  const auto user = fold_attribute(anonymous, "userName");
  const std::string name = user ? user.value : "IUSR";
  if (lower(name) == "iusr") {
    auth.anonymous_user = config::AnonymousUser::Iusr;
    if (user)
      note(user.level, user.node, "anonymousAuthentication@userName" + for_app, Outcome::Mapped,
           "anonymous.user = \"IUSR\" (the anonymous account)");
  } else if (name.empty()) {
    auth.anonymous_user = config::AnonymousUser::Pool;
    note(user.level, user.node, "anonymousAuthentication@userName" + for_app, Outcome::Mapped,
         "an empty userName: anonymous.user = \"pool\" (the pool identity)");
  } else {
    auth.anonymous_user = config::AnonymousUser::Iusr;
    note(user.level, user.node, "anonymousAuthentication@userName" + for_app, Outcome::Approximated,
         "the specific account " + name +
             ": Gatehouse has one anonymous account for the server ([accounts] "
             "anonymous); anonymous.user = \"IUSR\" is used");
  }
  const auto basic_sections = tree_.section(config_path, std::string{kAuth} + "basicAuthentication");
  if (auto basic = fold_attribute(basic_sections, "enabled")) {
    auth.basic_enabled = lower(basic.value) == "true";
    note(basic.level, basic.node, "basicAuthentication@enabled" + for_app,
         auth.basic_enabled ? Outcome::Approximated : Outcome::Mapped,
         auth.basic_enabled ? "basic.enabled = true: users are checked against Linux accounts through PAM, not "
                              "Windows accounts; create them on Linux"
                            : "basic.enabled = false");
  }
  if (auto realm = fold_attribute(basic_sections, "realm")) auth.basic_realm = realm.value;
  for (const char* other : {"windowsAuthentication", "digestAuthentication"}) {
    const auto e = fold_attribute(tree_.section(config_path, std::string{kAuth} + other), "enabled");
    if (e && lower(e.value) == "true")
      note(e.level, e.node, std::string{other} + "@enabled" + for_app, Outcome::NotMapped,
           "Gatehouse has anonymous and Basic authentication only");
  }
}

void Importer::read_default_documents(const std::string& config_path, config::Site& site, bool root) {
  const auto sections = tree_.section(config_path, "system.webServer/defaultDocument");
  if (sections.empty()) return;
  const auto enabled = fold_attribute(sections, "enabled");
  std::vector<std::string> files;
  for (const auto& e : fold_collection(sections, "files", "value")) {
    const std::string v = e.node.attribute("value").as_string();
    if (v.empty() || v.find_first_of("/\\") != std::string::npos || v == "." || v == "..") {
      if (root)
        note(e.level, e.node, "defaultDocument/files/add", Outcome::NotMapped,
             "'" + v + "' is not a file name; left out");
      continue;
    }
    files.push_back(v);
  }
  if (enabled && lower(enabled.value) == "false") files.clear();
  site.default_documents = files;
  if (root)
    note(sections.back().level, sections.back().node, "defaultDocument (" + config_path + ")", Outcome::Mapped,
         "default_documents = [" + list(files) + "]");
}

void Importer::read_request_limits() {
  const auto sections = tree_.section("", kFiltering);
  std::vector<SectionAt> limits;
  for (const auto& s : sections)
    if (auto n = s.node.child("requestLimits")) limits.push_back(SectionAt{s.level, n});
  auto& l = out_.imported.config.server.limits;
  const std::pair<const char*, std::uint64_t*> kKeys[] = {{"maxAllowedContentLength", &l.max_allowed_content_length},
                                                          {"maxUrl", &l.max_url_length},
                                                          {"maxQueryString", &l.max_query_string}};
  for (auto [name, field] : kKeys) {
    const auto a = fold_attribute(limits, name);
    if (!a) continue;
    const std::uint64_t v = a.node.attribute(name).as_ullong(0);
    if (v == 0 && std::string_view{name} == "maxUrl") {
      note(a.level, a.node, std::string{"requestLimits@"} + name, Outcome::NotMapped, "0 is not a usable limit");
      continue;
    }
    *field = v;
    out_.imported.limits_given = true;
    note(a.level, a.node, std::string{"requestLimits@"} + name, Outcome::Mapped,
         "[server.limits] " + std::to_string(v));
  }
}

namespace {

// The <add> values of one requestFiltering collection after IIS's folding
// (server, site, application: <clear/> and <remove> included), lower case.
std::vector<std::string> folded_values(const std::vector<EntryAt>& entries, const char* attribute) {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    std::string v = lower(e.node.attribute(attribute).as_string());
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

bool valid_extension(const std::string& v) {
  return v == "." || (v.size() > 1 && v.front() == '.' && v.find_first_of("./", 1) == std::string::npos);
}

}  // namespace

// requestFiltering's lists become [sites.request_filtering] (or the
// application's): hiddenSegments, fileExtensions and denyUrlSequences map one
// to one; the other settings are reported.
void Importer::read_request_filtering(const std::string& config_path, config::Application& app) {
  const auto sections = tree_.section(config_path, kFiltering);
  config::RequestFiltering& f = app.request_filtering;
  f.hidden_segments = folded_values(fold_collection(sections, "hiddenSegments", "segment"), "segment");
  std::erase_if(f.hidden_segments, [](const std::string& v) { return v.find('/') != std::string::npos; });
  f.denied_url_sequences = folded_values(fold_collection(sections, "denyUrlSequences", "sequence"), "sequence");
  std::vector<SectionAt> extension_sections;
  for (const auto& s : sections)
    if (auto n = s.node.child("fileExtensions")) extension_sections.push_back(SectionAt{s.level, n});
  const auto allow_unlisted = fold_attribute(extension_sections, "allowUnlisted");
  const bool unlisted_allowed = !allow_unlisted || lower(allow_unlisted.value) != "false";
  for (const auto& e : fold_collection(sections, "fileExtensions", "fileExtension")) {
    const std::string ext = lower(e.node.attribute("fileExtension").as_string());
    if (!valid_extension(ext)) continue;
    auto& list = e.node.attribute("allowed").as_bool(true) ? f.allowed_extensions : f.denied_extensions;
    if (std::find(list.begin(), list.end(), ext) == list.end()) list.push_back(ext);
  }
  if (unlisted_allowed) f.allowed_extensions.clear();  // allowed="true" only matters with allowUnlisted="false"

  for (const auto& s : sections) {
    if (!first_time(*s.level->file, s.node)) continue;
    const std::string where = s.level->path.empty() ? "" : " (" + s.level->path + ")";
    for (pugi::xml_attribute a : s.node.attributes()) {
      const std::string name = a.name();
      if (name == "allowDoubleEscaping")
        note(s.level, s.node, "requestFiltering@" + name + where, a.as_bool() ? Outcome::Approximated : Outcome::Mapped,
             "Gatehouse always refuses double-escaped URLs (404.11)");
      else
        note(s.level, s.node, "requestFiltering@" + name + where, Outcome::NotMapped,
             "Gatehouse has no equivalent yet");
    }
    for (pugi::xml_node child : s.node.children()) report_filtering_child(s, child, where);
  }
}

void Importer::report_filtering_child(const SectionAt& s, pugi::xml_node child, const std::string& where) {
  const std::string tag = child.name();
  const std::string element = "requestFiltering/" + tag + where;
  std::vector<std::string> values;
  for (pugi::xml_node add : child.children("add")) {
    std::string v;
    for (pugi::xml_attribute a : add.attributes()) v += (v.empty() ? "" : " ") + std::string{a.value()};
    values.push_back(v);
  }
  if (tag == "requestLimits") {
    if (!s.level->path.empty() && child.first_attribute())
      note(s.level, child, element, Outcome::Approximated,
           "Gatehouse's request limits are server-wide ([server.limits]); the server-level values are used");
    if (child.first_child())
      note(s.level, child, element + "/headerLimits", Outcome::NotMapped,
           "per-header limits: Gatehouse limits all headers together (max_request_headers)");
  } else if (tag == "hiddenSegments") {
    note(s.level, child, element, Outcome::Mapped,
         "hidden segments [" + list(values) + "] -> request_filtering.hidden_segments (404.8)");
  } else if (tag == "fileExtensions") {
    const bool closed = !child.attribute("allowUnlisted").as_bool(true);
    note(s.level, child, element, Outcome::Mapped,
         "extension rules [" + list(values) + "]" + (closed ? " with allowUnlisted=false" : "") +
             " -> request_filtering.denied_extensions" + (closed ? " and allowed_extensions" : "") + " (404.7)");
  } else if (tag == "denyUrlSequences") {
    note(s.level, child, element, Outcome::Mapped,
         "denied URL sequences [" + list(values) + "] -> request_filtering.denied_url_sequences (404.5)");
  } else if (child.type() == pugi::node_element) {
    note(s.level, child, element, Outcome::NotMapped, "Gatehouse has no equivalent");
  }
}

// Gatehouse's application lists are the site's plus the application's own: an
// application that removes a site entry (<remove>, <clear/>) cannot be
// carried over, and the site's entry stays refused there.
void Importer::report_inherited_filtering(const config::Application& root, const config::Application& app,
                                          pugi::xml_node at, const std::string& element) {
  const auto& r = root.request_filtering;
  const auto& a = app.request_filtering;
  std::vector<std::string> kept;
  auto missing = [&](const std::vector<std::string>& site, const std::vector<std::string>& own) {
    for (const auto& v : site)
      if (std::find(own.begin(), own.end(), v) == own.end()) kept.push_back(v);
  };
  missing(r.hidden_segments, a.hidden_segments);
  missing(r.denied_url_sequences, a.denied_url_sequences);
  missing(r.denied_extensions, a.denied_extensions);
  if (!kept.empty())
    note(apphost_, at, element + " requestFiltering", Outcome::Approximated,
         "the application removes the site's [" + list(kept) +
             "]: Gatehouse applications add to the site's lists, so these stay refused there");
  if (a.allowed_extensions != r.allowed_extensions && !r.allowed_extensions.empty())
    note(apphost_, at, element + " requestFiltering/fileExtensions", Outcome::Approximated,
         "the application's allowed extensions are added to the site's list");
}

// handlers@accessPolicy without "Script" (IIS's "Read") turns scripts off for
// that path and below: [[sites.handler_policies]] scripts = false. An
// application that turns them back on under a Read parent gets scripts = true.
void Importer::read_handler_policy(const std::vector<SectionAt>& sections, const std::string& url_path,
                                   config::Site& site) {
  const auto policy = fold_attribute(sections, "accessPolicy");
  if (!policy) return;
  const bool scripts = lower(policy.value).find("script") != std::string::npos;
  const bool parent_scripts = [&] {
    bool allowed = true;
    std::size_t best = 0;
    for (const auto& p : site.handler_policies)
      if ((p.path == "/" || url_path == p.path || url_path.starts_with(p.path + "/")) && p.path.size() >= best) {
        best = p.path.size();
        allowed = p.scripts;
      }
    return allowed;
  }();
  if (scripts == parent_scripts) return;
  site.handler_policies.push_back(config::HandlerPolicy{url_path, scripts, {}});
  note(*policy.level->file, policy.node, "handlers@accessPolicy (" + url_path + ")", Outcome::Mapped,
       "accessPolicy '" + policy.value + "' -> [[sites.handler_policies]] path = \"" + url_path +
           "\" scripts = " + (scripts ? "true" : "false"));
}

void Importer::read_rewrite(const std::string& config_path, std::vector<RewriteRule>& rules, bool site_root) {
  const std::string path = normalise_config_path(config_path);
  auto take = [&](const SectionAt& s, const std::string& why) {
    const bool first = first_time(*s.level->file, s.node);
    Report scratch;
    for (pugi::xml_node rule : s.node.children()) {
      const std::string tag = rule.name();
      if (tag == "rule") {
        if (auto r = convert_rule(*s.level->file, rule, first ? out_.report : scratch)) rules.push_back(*r);
      } else if (tag == "clear" || tag == "remove") {
        if (site_root && tag == "clear") {
          rules.clear();
        } else if (first) {
          note(s.level, rule, "rewrite/rules/" + tag, Outcome::NotMapped,
               "removing inherited rules in an application: Gatehouse runs the site's rules first for every "
               "application");
        }
      }
    }
    if (first && !why.empty() && s.node.child("rule"))
      note(s.level, s.node, "rewrite/rules", Outcome::Approximated, why);
  };
  if (site_root) {
    pugi::xml_node global = tree_.apphost_section("system.webServer/rewrite/globalRules");
    if (global)
      take(SectionAt{&tree_.levels().front(), global},
           "global rules run before every site's rules; Gatehouse places them first in each site's rules");
  }
  for (const auto& s : tree_.section(config_path, "system.webServer/rewrite/rules")) {
    if (s.level->path == path)
      take(s, "");
    else if (site_root && s.level->path.empty())
      take(s, "server-level rules: copied into every site's rules");
  }
  for (const auto& level : tree_.levels()) {
    if (level.path != path && !(site_root && level.path.empty())) continue;
    for (const char* part : {"rewriteMaps", "outboundRules", "providers", "allowedServerVariables"}) {
      pugi::xml_node n = child_at(level.node, std::string{"system.webServer/rewrite/"} + part);
      if (n && n.first_child() && first_time(*level.file, n))
        note(&level, n, std::string{"rewrite/"} + part, Outcome::NotMapped,
             std::string{part} + " are not supported by Gatehouse's rewrite rules");
    }
  }
}

void Importer::read_other_sections(const std::string& config_path) {
  const std::string path = normalise_config_path(config_path);
  for (const auto& level : tree_.levels()) {
    if (level.path != path) continue;
    for (const auto& [name, node] : sections_of(level.node)) {
      if (is_handled(name) || name.starts_with("system.webServer/rewrite/")) continue;
      if (!first_time(*level.file, node)) continue;
      if (name == "system.web" || name == "appSettings" || name == "connectionStrings" || name == "runtime")
        note(&level, node, name, Outcome::Approximated, ".NET configuration: PHP does not read it; dropped");
      else if (name == "system.webServer/staticContent")
        note(&level, node, name, Outcome::NotMapped,
             "MIME types and client caching: Gatehouse's MIME table is built in; an extension it does not "
             "know is "
             "not served (404.3)");
      else if (name == "system.webServer/httpErrors")
        note(&level, node, name, Outcome::NotMapped, "custom error pages: Gatehouse has no setting for them");
      else
        note(&level, node, name, Outcome::NotMapped, "Gatehouse has no equivalent");
    }
  }
}

// <location path="Site/uploads"><handlers accessPolicy="Read"/>: IIS's way to
// keep scripts out of an upload folder, mapped to the site's handler policy.
// False when the section holds more than the policy (reported as not mapped).
bool Importer::map_location_policy(const Level& level, pugi::xml_node node) {
  const std::size_t slash = level.path.find('/');
  auto site = site_index_.find(level.path.substr(0, slash));
  if (slash == std::string::npos || site == site_index_.end() || !node.attribute("accessPolicy")) return false;
  auto url = config::parse_url_path("/" + level.path.substr(slash + 1));
  if (!url) return false;
  read_handler_policy(tree_.section(level.path, "system.webServer/handlers"), *url,
                      out_.imported.config.sites[site->second]);
  return !node.first_child();
}

// Settings at a path that is neither the server, a site nor an application.
void Importer::survey_levels() {
  for (const auto& level : tree_.levels()) {
    if (level.path.empty() || app_paths_.contains(level.path)) continue;
    for (const auto& [name, node] : sections_of(level.node)) {
      if (name == "system.webServer/handlers" && map_location_policy(level, node)) continue;
      note(&level, node, name + " at '" + level.path + "'", Outcome::NotMapped,
           "'" + level.path + "' is not an imported site or application: Gatehouse sets this per application");
    }
  }
  // The server level: only what changes behaviour Gatehouse could differ on.
  const Level& server = tree_.levels().front();
  for (const auto& [name, node] : sections_of(server.node)) {
    if (name == "system.webServer/directoryBrowse" && node.attribute("enabled").as_bool(false))
      note(&server, node, name, Outcome::NotMapped, "folder listings: Gatehouse never lists folders");
    else if (name == "system.webServer/httpProtocol" && node.child("customHeaders").child("add"))
      note(&server, node, name + "/customHeaders", Outcome::NotMapped, "custom response headers: no setting yet");
    else if (name == "system.webServer/staticContent")
      note(&server, node, name, Outcome::Approximated, "Gatehouse's built-in MIME table replaces IIS's");
    else if (name == "system.webServer/httpErrors")
      note(&server, node, name, Outcome::Approximated, "Gatehouse answers errors with its own short bodies");
  }
}

}  // namespace gatehouse::iis

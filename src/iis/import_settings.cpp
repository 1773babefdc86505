// Per-application settings: authentication (inherited server -> site ->
// <location>), default documents, request filtering, rewrite rules, and a
// report for every other section written at a level Gatehouse reads.
#include <algorithm>

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

void Importer::read_request_filtering(const std::string& config_path) {
  for (const auto& s : tree_.section(config_path, kFiltering)) {
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
    for (pugi::xml_node child : s.node.children()) {
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
               "Gatehouse's request limits are server-wide ([server.limits]); the server-level values are "
               "used");
        if (child.first_child())
          note(s.level, child, element + "/headerLimits", Outcome::NotMapped,
               "per-header limits: Gatehouse limits all headers together (max_request_headers)");
      } else if (tag == "hiddenSegments") {
        note(s.level, child, element, Outcome::NotMapped,
             "hidden segments [" + list(values) +
                 "]: Gatehouse hides only dot segments (404.8) until per-site "
                 "hidden segments exist (issue 17)");
      } else if (tag == "fileExtensions") {
        note(s.level, child, element, Outcome::NotMapped,
             "extension rules [" + list(values) + "]" +
                 (child.attribute("allowUnlisted").as_bool(true) ? "" : " with allowUnlisted=false") +
                 ": no per-site setting yet (issue 17); Gatehouse serves only the extensions its MIME table "
                 "knows "
                 "and runs only php_extensions");
      } else if (tag == "denyUrlSequences") {
        note(s.level, child, element, Outcome::NotMapped,
             "denied URL sequences [" + list(values) +
                 "]: no setting yet (issue 17); Gatehouse always refuses '..', "
                 "backslashes, NUL and control characters");
      } else if (child.type() == pugi::node_element) {
        note(s.level, child, element, Outcome::NotMapped, "Gatehouse has no equivalent");
      }
    }
  }
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

// Settings at a path that is neither the server, a site nor an application.
void Importer::survey_levels() {
  for (const auto& level : tree_.levels()) {
    if (level.path.empty() || app_paths_.contains(level.path)) continue;
    for (const auto& [name, node] : sections_of(level.node)) {
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

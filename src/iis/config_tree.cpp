// The IIS configuration hierarchy and its locking rules (see config_tree.hpp).
#include "iis/config_tree.hpp"

#include <algorithm>

namespace gatehouse::iis {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool equals_nocase(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// IIS 7.5's shipped <configSections>, for an applicationHost.config without them.
SectionDefinition builtin_definition(std::string_view section) {
  if (section.starts_with("system.applicationHost/") || section == "system.webServer/fastCgi" ||
      section == "system.webServer/rewrite/globalRules")
    return {false, true};
  static const std::string_view kDenied[] = {
      "system.webServer/security/authentication/anonymousAuthentication",
      "system.webServer/security/authentication/basicAuthentication",
      "system.webServer/security/authentication/windowsAuthentication",
      "system.webServer/security/authentication/digestAuthentication",
      "system.webServer/handlers",
      "system.webServer/httpErrors",
      "system.webServer/modules",
  };
  for (auto d : kDenied)
    if (section == d) return {false, false};
  return {true, false};
}

int depth_of(std::string_view path) {
  if (path.empty()) return 0;
  return static_cast<int>(std::count(path.begin(), path.end(), '/')) + 1;
}

bool applies_to(std::string_view level_path, std::string_view path) {
  return level_path.empty() || path == level_path ||
         (path.size() > level_path.size() && path.starts_with(level_path) && path[level_path.size()] == '/');
}

// "allow" / "deny" / "" (inherit) from a <location>'s overrideMode or the old allowOverride.
std::string override_mode(pugi::xml_node location) {
  const std::string mode = lower(location.attribute("overrideMode").as_string());
  if (mode == "allow" || mode == "deny") return mode;
  if (auto legacy = location.attribute("allowOverride")) return legacy.as_bool() ? "allow" : "deny";
  return "";
}

}  // namespace

std::string normalise_config_path(std::string_view path) {
  std::string out = lower(path);
  for (char& c : out)
    if (c == '\\') c = '/';
  while (!out.empty() && out.front() == '/') out.erase(0, 1);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out == ".") out.clear();
  return out;
}

pugi::xml_node child_at(pugi::xml_node node, std::string_view path) {
  std::size_t start = 0;
  while (node && start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    node = node.child(std::string{path.substr(start, end - start)}.c_str());
    start = end + 1;
  }
  return node;
}

ConfigTree::ConfigTree(const XmlFile& apphost, const std::vector<WebConfig>& web_configs, Report& report)
    : apphost_(apphost), report_(report) {
  read_definitions(apphost.doc().document_element().child("configSections"), "", 0);
  add_levels(apphost, "", true);
  std::vector<WebConfig> sorted = web_configs;
  std::stable_sort(sorted.begin(), sorted.end(), [](const WebConfig& a, const WebConfig& b) {
    return depth_of(normalise_config_path(a.path)) < depth_of(normalise_config_path(b.path));
  });
  for (const auto& w : sorted) add_levels(*w.file, normalise_config_path(w.path), false);
  // IIS merges path by path: at each depth the applicationHost.config
  // <location> for that path, then the web.config there; deeper wins.
  std::stable_sort(levels_.begin(), levels_.end(), [](const Level& a, const Level& b) {
    return std::pair{a.depth, !a.apphost} < std::pair{b.depth, !b.apphost};
  });
}

void ConfigTree::read_definitions(pugi::xml_node group, const std::string& prefix, int depth) {
  if (!group || depth > 16) return;  // IIS nests three deep; a deeper tree is not IIS's
  for (pugi::xml_node n : group.children()) {
    const std::string name = prefix + n.attribute("name").as_string();
    if (std::string_view{n.name()} == "sectionGroup") {
      read_definitions(n, name + "/", depth + 1);
    } else if (std::string_view{n.name()} == "section") {
      SectionDefinition d;
      d.override_allowed = !equals_nocase(n.attribute("overrideModeDefault").as_string("Allow"), "Deny");
      d.apphost_only = equals_nocase(n.attribute("allowDefinition").as_string(), "AppHostOnly");
      definitions_[name] = d;
    }
  }
}

void ConfigTree::add_levels(const XmlFile& file, const std::string& base, bool apphost) {
  const pugi::xml_node root = file.doc().document_element();
  std::vector<Level> levels{Level{&file, root, base, apphost, depth_of(base)}};
  for (pugi::xml_node loc : root.children("location")) {
    const std::string sub = normalise_config_path(loc.attribute("path").as_string());
    const std::string path = base.empty() ? sub : (sub.empty() ? base : base + "/" + sub);
    levels.push_back(Level{&file, loc, path, apphost, depth_of(path)});
  }
  std::stable_sort(levels.begin(), levels.end(), [](const Level& a, const Level& b) { return a.depth < b.depth; });
  levels_.insert(levels_.end(), levels.begin(), levels.end());
}

SectionDefinition ConfigTree::definition(std::string_view section) const {
  auto it = definitions_.find(std::string{section});
  return it != definitions_.end() ? it->second : builtin_definition(section);
}

pugi::xml_node ConfigTree::apphost_section(std::string_view section) const {
  return child_at(apphost_.doc().document_element(), section);
}

bool ConfigTree::unlocked(const Level& level, std::string_view section) const {
  // The deepest applicationHost <location> at or above this web.config that
  // names the section with an overrideMode decides; else overrideModeDefault.
  const Level* decider = nullptr;
  for (const auto& l : levels_) {
    if (!l.apphost || l.node == apphost_.doc().document_element() || !applies_to(l.path, level.path)) continue;
    if (!child_at(l.node, section) || override_mode(l.node).empty()) continue;
    if (!decider || l.depth >= decider->depth) decider = &l;
  }
  if (decider) return override_mode(decider->node) == "allow";
  return definition(section).override_allowed;
}

std::vector<SectionAt> ConfigTree::section(std::string_view path_in, std::string_view section) const {
  const std::string path = normalise_config_path(path_in);
  std::vector<SectionAt> out;
  for (const auto& level : levels_) {
    if (!applies_to(level.path, path)) continue;
    pugi::xml_node node = child_at(level.node, section);
    if (!node) continue;
    if (!level.apphost) {
      const auto def = definition(section);
      std::string why;
      if (def.apphost_only)
        why = "this section may only be set in applicationHost.config (allowDefinition AppHostOnly)";
      else if (!unlocked(level, section))
        why =
            "the section is locked for this path (overrideMode Deny or overrideModeDefault Deny): IIS "
            "answers "
            "500.19 for it, so it is not carried over";
      if (!why.empty()) {
        if (reported_.emplace(&level, std::string{section}).second)
          report_.add(level.file->name(), level.file->line(node), std::string{section}, Outcome::NotMapped, why);
        continue;
      }
    }
    out.push_back(SectionAt{&level, node});
  }
  return out;
}

AttributeAt fold_attribute(const std::vector<SectionAt>& sections, std::string_view name) {
  AttributeAt out;
  for (const auto& s : sections) {
    if (auto a = s.node.attribute(std::string{name}.c_str())) out = AttributeAt{a.as_string(), s.level, s.node};
  }
  return out;
}

std::vector<EntryAt> fold_collection(const std::vector<SectionAt>& sections, std::string_view child,
                                     std::string_view key, bool merge_append) {
  std::vector<EntryAt> inherited;
  const std::string key_name{key};
  for (const auto& s : sections) {
    pugi::xml_node collection = child.empty() ? s.node : child_at(s.node, child);
    if (!collection) continue;
    std::vector<EntryAt> added;
    auto erase = [&](std::string_view k) {
      auto same = [&](const EntryAt& e) { return equals_nocase(e.node.attribute(key_name.c_str()).as_string(), k); };
      std::erase_if(inherited, same);
      std::erase_if(added, same);
    };
    for (pugi::xml_node n : collection.children()) {
      const std::string_view tag = n.name();
      if (tag == "clear") {
        inherited.clear();
        added.clear();
      } else if (tag == "remove") {
        erase(n.attribute(key_name.c_str()).as_string());
      } else if (n.type() == pugi::node_element) {
        erase(n.attribute(key_name.c_str()).as_string());
        added.push_back(EntryAt{s.level, n});
      }
    }
    if (merge_append)
      inherited.insert(inherited.end(), added.begin(), added.end());
    else
      inherited.insert(inherited.begin(), added.begin(), added.end());
  }
  return inherited;
}

}  // namespace gatehouse::iis

// IIS's configuration hierarchy, path by path: applicationHost.config's top,
// then for each deeper path its <location path> elements and then the
// web.config at that path (and that web.config's own <location> elements). Answers "which settings of section
// S apply at config path P", honouring overrideMode / overrideModeDefault locking as IIS does.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "iis/report.hpp"
#include "iis/xml_input.hpp"

namespace gatehouse::iis {

// A web.config and the config path it sits at ("Site" or "Site/blog").
struct WebConfig {
  std::string path;
  const XmlFile* file = nullptr;
};

// One place where settings are written.
struct Level {
  const XmlFile* file = nullptr;
  pugi::xml_node node;  // <configuration> or <location>
  std::string path;     // lower-case config path it applies to: "", "site", "site/blog"
  bool apphost = true;
  int depth = 0;  // segments in path
};

struct SectionAt {
  const Level* level = nullptr;
  pugi::xml_node node;
};

struct SectionDefinition {
  bool override_allowed = true;  // overrideModeDefault
  bool apphost_only = false;     // allowDefinition="AppHostOnly"
};

// "Site/Blog/" -> "site/blog"; "." and "" -> "".
std::string normalise_config_path(std::string_view path);
// The child of `node` at a slash-separated element path ("security/authentication").
pugi::xml_node child_at(pugi::xml_node node, std::string_view path);

class ConfigTree {
 public:
  ConfigTree(const XmlFile& apphost, const std::vector<WebConfig>& web_configs, Report& report);

  const XmlFile& apphost() const { return apphost_; }
  // An applicationHost-only section at the top of applicationHost.config.
  pugi::xml_node apphost_section(std::string_view section) const;
  // Every instance of `section` that applies at `path`, parent first. Locked
  // web.config instances are left out and reported once.
  std::vector<SectionAt> section(std::string_view path, std::string_view section) const;
  // Levels whose path is below (not at) `path`, for reporting settings
  // Gatehouse cannot place (a <location> that is not an application).
  const std::vector<Level>& levels() const { return levels_; }
  SectionDefinition definition(std::string_view section) const;

 private:
  void read_definitions(pugi::xml_node group, const std::string& prefix, int depth);
  void add_levels(const XmlFile& file, const std::string& base, bool apphost);
  bool unlocked(const Level& level, std::string_view section) const;

  const XmlFile& apphost_;
  Report& report_;
  std::vector<Level> levels_;  // by depth; at one depth applicationHost.config first
  std::map<std::string, SectionDefinition> definitions_;
  mutable std::set<std::pair<const Level*, std::string>> reported_;
};

// The last value of attribute `name` over `sections` (child-most wins), and where it came from.
struct AttributeAt {
  std::string value;
  const Level* level = nullptr;
  pugi::xml_node node;
  explicit operator bool() const { return level != nullptr; }
};
AttributeAt fold_attribute(const std::vector<SectionAt>& sections, std::string_view name);

// A collection (<add>, <remove>, <clear/>) folded over the levels. With
// `merge_append` false (handlers), a child level's entries come first.
struct EntryAt {
  const Level* level = nullptr;
  pugi::xml_node node;  // the <add> element
};
std::vector<EntryAt> fold_collection(const std::vector<SectionAt>& sections, std::string_view child,
                                     std::string_view key, bool merge_append = true);

}  // namespace gatehouse::iis

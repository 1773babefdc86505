// The import's internal state, shared by import_*.cpp: one Importer walks the
// IIS configuration once and fills an ImportResult.
#pragma once

#include <map>
#include <optional>
#include <set>

#include "iis/import.hpp"

namespace gatehouse::iis {

std::string lower(std::string_view s);

// An application pool as IIS defines it (attributes fall back to applicationPoolDefaults).
struct IisPool {
  std::string name;
  pugi::xml_node node;
  bool reported = false;
};

// The PHP handler an application runs, resolved to its FastCGI application.
struct PhpHandler {
  pugi::xml_node fastcgi;               // <application> in system.webServer/fastCgi, or empty
  EntryAt handler;                      // the *.php <add> that won
  std::vector<std::string> extensions;  // every FastCgiModule extension to that processor
};

class Importer {
 public:
  Importer(const XmlFile& apphost, const std::vector<WebConfig>& web_configs, const ImportOptions& options,
           ImportResult& out);
  void run();

  // Report helpers: the position of `node` in `file`.
  void note(const XmlFile& file, pugi::xml_node node, std::string element, Outcome outcome, std::string reason);
  void note(const Level* level, pugi::xml_node node, std::string element, Outcome outcome, std::string reason);
  // True the first time a node is looked at (settings shared by several applications are reported once).
  bool first_time(const XmlFile& file, pugi::xml_node node) { return seen_.emplace(&file, node.offset_debug()).second; }
  // The Linux path, or nullopt with a not-mapped item.
  std::optional<std::string> map_path(const XmlFile& file, pugi::xml_node node, const std::string& element,
                                      std::string_view windows);

 private:
  // import_pools.cpp
  void read_pools();
  std::string pool_attribute(const IisPool& pool, std::string_view child, std::string_view name,
                             std::string_view fallback) const;
  std::optional<std::string> gatehouse_pool(const std::string& iis_pool, const PhpHandler& php, const XmlFile& file,
                                            pugi::xml_node at);
  void pool_identity(IisPool& pool, config::Pool& out);
  void pool_settings(IisPool& pool);
  void report_pool_attributes(pugi::xml_node pool, const std::string& element);
  void fastcgi_settings(pugi::xml_node app, config::Pool& out);
  void read_environment(pugi::xml_node app, config::Pool& out, const std::string& element, bool report);
  void report_unused_pools();

  // import_sites.cpp
  void read_sites();
  void read_site(pugi::xml_node site);
  void read_bindings(pugi::xml_node site, config::Site& out);
  bool read_application(pugi::xml_node app, config::Site& site, std::vector<std::vector<RewriteRule>>& rules);
  std::optional<PhpHandler> php_handler(const std::string& config_path, const XmlFile& file, pugi::xml_node at);

  // import_settings.cpp
  void read_authentication(const std::string& config_path, config::Application& app);
  void read_default_documents(const std::string& config_path, config::Site& site, bool root);
  void read_request_limits();
  void read_request_filtering(const std::string& config_path, config::Application& app);
  void report_inherited_filtering(const config::Application& root, const config::Application& app, pugi::xml_node at,
                                  const std::string& element);
  void report_filtering_child(const SectionAt& s, pugi::xml_node child, const std::string& where);
  void read_handler_policy(const std::vector<SectionAt>& sections, const std::string& url_path, config::Site& site);
  void read_rewrite(const std::string& config_path, std::vector<RewriteRule>& rules, bool site_root);
  void read_other_sections(const std::string& config_path);
  void survey_levels();
  bool map_location_policy(const Level& level, pugi::xml_node node);

  const XmlFile& apphost_;
  const ImportOptions& options_;
  ImportResult& out_;
  ConfigTree tree_;
  std::map<std::string, IisPool> pools_;                                 // lower-case IIS name ->
  std::map<std::pair<std::string, std::string>, std::string> gh_pools_;  // (IIS pool, FastCGI key) -> Gatehouse pool
  std::set<std::string> app_paths_;                                      // config paths of sites and applications
  std::set<std::pair<const XmlFile*, std::ptrdiff_t>> seen_;             // nodes already reported
  std::set<std::string> global_rules_sites_;
  std::map<std::string, std::size_t> site_index_;  // lower-case IIS site name -> index in the imported sites
};

}  // namespace gatehouse::iis

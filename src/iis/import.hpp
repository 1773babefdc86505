// `gatehouse import iis`, the pure core: applicationHost.config and web.config
// documents in; a Gatehouse configuration (model and TOML text) and the
// migration report out.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "iis/config_tree.hpp"
#include "iis/path_map.hpp"
#include "iis/report.hpp"
#include "iis/rewrite.hpp"

namespace gatehouse::iis {

struct ImportOptions {
  PathMap paths;
  std::map<std::string, std::string> users;  // lower-case Windows account -> Linux account (--user-map)
  std::string php_cgi = "/usr/bin/php-cgi";
};

// What the import produced, before it is written as TOML.
struct Imported {
  config::Config config;
  // rewrite[site][application]: the rules of each application (0: the site root).
  std::vector<std::vector<std::vector<RewriteRule>>> rewrite;
  bool limits_given = false;  // applicationHost.config set requestLimits at server level
};

struct ImportResult {
  Imported imported;
  std::string toml;
  Report report;
};

// "DOMAIN\user=linux": the Windows side is compared case-insensitively.
std::expected<void, std::string> add_user_map(ImportOptions& options, std::string_view spec);

ImportResult import_iis(const XmlFile& apphost, const std::vector<WebConfig>& web_configs,
                        const ImportOptions& options);

// Config path ("Site", "Site/blog") and Windows physical path of each site and
// application, to find their web.config files before importing.
std::vector<std::pair<std::string, std::string>> content_paths(const XmlFile& apphost);

// Gatehouse's name rules (letters, digits, '-', '_', '.'): "Default Web Site" -> "Default-Web-Site".
std::string gatehouse_name(std::string_view iis_name);

}  // namespace gatehouse::iis

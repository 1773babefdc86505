// URL Rewrite rules in the agreed Gatehouse shape ([[sites.rewrite]]), and
// their conversion from IIS <rule> elements.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "iis/report.hpp"
#include "iis/xml_input.hpp"

namespace gatehouse::iis {

struct RewriteCondition {
  std::string input;                   // "{REQUEST_FILENAME}"
  std::string match_type = "Pattern";  // Pattern | IsFile | IsDirectory
  std::string pattern;
  bool ignore_case = true;
  bool negate = false;
};

struct RewriteRule {
  std::string name;
  std::string match;
  bool ignore_case = true;
  bool negate = false;
  std::string logical_grouping = "MatchAll";
  bool stop_processing = false;
  std::string action = "None";
  std::string url;
  bool append_query_string = true;
  int redirect_type = 301;
  int status_code = 0;
  int substatus_code = 0;
  std::string status_reason;
  std::string status_description;
  std::vector<RewriteCondition> conditions;
};

// The rule, or nullopt when it cannot be carried over; every finding is in `report`.
std::optional<RewriteRule> convert_rule(const XmlFile& file, pugi::xml_node rule, Report& report);

}  // namespace gatehouse::iis

// Rewrite rules compiled for one application: the site's rules, then the
// application's, then its front controller, each with the URL prefix its
// patterns are relative to. Built once at start-up, immutable, shared by threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "rewrite/regex.hpp"

namespace gatehouse::rewrite {

struct CompiledRule {
  config::RewriteRule rule;  // a copy: the front controller has no entry in the Config
  Regex match;
  std::vector<std::optional<Regex>> conditions;  // beside rule.conditions; set for match_type Pattern
  // The rule's application below the site root, lower case with a trailing
  // slash ("blog/"), or "" for the site's rules: IIS matches a web.config's
  // rules against the URL relative to that web.config's folder.
  std::string base;
  std::string where;    // "rule 'wordpress'", for errors
  std::string context;  // "[site shop]"
};

class CompiledRules {
 public:
  const std::vector<CompiledRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }
  // The most capture pairs any pattern needs (the size of one MatchData).
  std::uint32_t max_pairs() const { return max_pairs_; }

 private:
  friend Result<CompiledRules> compile(const config::Site& site, std::size_t app_index);
  std::vector<CompiledRule> rules_;
  std::uint32_t max_pairs_ = 1;
};

// The rules a request of site.applications[app_index] runs through: the
// site's [[sites.rewrite]] rules (relative to "/"), then, for an application
// other than the root, its own rules and front controller (relative to its
// path); for the root application, the site's front controller. Fails only
// on a pattern PCRE2 refuses, which config loading has already reported.
Result<CompiledRules> compile(const config::Site& site, std::size_t app_index);

// One CompiledRules per application of the site, in the order of
// site.applications.
Result<std::vector<CompiledRules>> compile_site(const config::Site& site);

// The rule `front_controller = "/index.php"` stands for, in an application at
// `app_path` ("/" or "/blog"): neither a file nor a folder -> Rewrite to the
// script below the application, keeping the query string, stop processing.
config::RewriteRule front_controller_rule(const std::string& script, const std::string& app_path);

}  // namespace gatehouse::rewrite

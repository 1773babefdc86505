// The validated rewrite rules of a site or application, with IIS URL
// Rewrite's vocabulary (<rule>, <match>, <conditions>, <action>).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {

// A substitution string ("index.php?p={R:1}", "{HTTP_HOST}") parsed once.
struct TemplatePart {
  enum class Kind { Literal, RuleRef, ConditionRef, Variable, ToLower, UrlEncode, UrlDecode };
  Kind kind = Kind::Literal;
  std::string text;                // Literal: the text; Variable: the upper-case name ("HTTP_HOST")
  unsigned index = 0;              // RuleRef {R:n}, ConditionRef {C:n}
  std::vector<TemplatePart> args;  // ToLower / UrlEncode / UrlDecode: the argument
};

struct Template {
  std::string text;  // as written
  std::vector<TemplatePart> parts;
};

enum class MatchType { Pattern, IsFile, IsDirectory };
enum class LogicalGrouping { MatchAll, MatchAny };
enum class RewriteAction { None, Rewrite, Redirect, CustomResponse, AbortRequest };

struct RewriteCondition {
  Template input;  // IsFile / IsDirectory: always {REQUEST_FILENAME}
  MatchType match_type = MatchType::Pattern;
  std::string pattern;  // PCRE2, compiled by rewrite::compile
  bool ignore_case = true;
  bool negate = false;
};

struct RewriteRule {
  std::string name;
  std::string match;  // PCRE2, on the URL path below the rule's application, no leading '/'
  bool ignore_case = true;
  bool negate = false;
  LogicalGrouping logical_grouping = LogicalGrouping::MatchAll;
  bool stop_processing = false;
  std::vector<RewriteCondition> conditions;
  RewriteAction action = RewriteAction::None;
  Template url;  // Rewrite / Redirect
  bool append_query_string = true;
  unsigned redirect_type = 301;  // 301 302 303 307 308
  unsigned status_code = 0;      // CustomResponse
  unsigned substatus_code = 0;
  std::string status_reason;
  std::string status_description;
};

// The PCRE2 compile options of every rewrite pattern: config validates with
// them and rewrite compiles with them, so the two never disagree.
std::uint32_t rewrite_regex_options(bool ignore_case);

// PCRE2's message and offset when `pattern` does not compile: "missing
// closing parenthesis at offset 4"; empty when it does.
std::string rewrite_regex_error(std::string_view pattern, bool ignore_case);

// Parses a substitution string: literals, {R:n} and {C:n} (n 0-9), server
// variables ({HTTP_HOST}, {HTTP_X_ANYTHING}, {QUERY_STRING}, ... see
// kRewriteVariables) and the functions {ToLower:...}, {UrlEncode:...},
// {UrlDecode:...}. On failure: what was expected.
std::expected<Template, std::string> parse_template(std::string_view text);

// Server variables a template may name besides HTTP_*.
inline constexpr std::string_view kRewriteVariables[] = {
    "REQUEST_FILENAME", "QUERY_STRING", "REQUEST_URI", "URL", "HTTPS", "SERVER_PORT", "REMOTE_ADDR", "REQUEST_METHOD"};

std::string_view to_string(RewriteAction action);
std::string_view to_string(MatchType type);
std::string_view to_string(LogicalGrouping grouping);

}  // namespace gatehouse::config

// Reads [[sites.rewrite]], [[sites.applications.rewrite]], their conditions and
// front_controller: IIS URL Rewrite rules, checked as far as a file can be.
#include <set>

#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void require(TableReader& t, std::string_view name, std::string_view what) {
  if (!t.has(name)) t.problem(name, "missing key '" + std::string{name} + "' (" + std::string{what} + ")");
}

bool is_string(TableReader& t, std::string_view name) { return t.has(name) && t.node(name)->is_string(); }

void read_regex(TableReader& t, std::string_view name, bool ignore_case, std::string& out) {
  t.string(name, out);
  if (!is_string(t, name)) return;
  const std::string error = rewrite_regex_error(out, ignore_case);
  if (!error.empty()) t.problem(name, "expected a PCRE2 regular expression: " + error);
}

void read_template(TableReader& t, std::string_view name, Template& out) {
  std::string text;
  t.string(name, text);
  if (!is_string(t, name)) return;
  if (auto parsed = parse_template(text))
    out = std::move(*parsed);
  else
    t.problem(name, parsed.error());
}

// A string from `names` (exact spelling, as IIS's schema enumerates them);
// false when absent or not one of them.
template <class Enum>
bool read_enum(TableReader& t, std::string_view name, std::initializer_list<std::pair<std::string_view, Enum>> names,
               Enum& out) {
  std::string text;
  t.string(name, text);
  if (!is_string(t, name)) return false;
  std::string list;
  for (const auto& [spelling, value] : names) {
    if (text == spelling) {
      out = value;
      return true;
    }
    list += (list.empty() ? "" : ", ") + std::string{spelling};
  }
  t.problem(name, "expected one of " + list + ", got " + in_quotes(text));
  return false;
}

// Status lines and error pages carry these: no control characters.
void read_text(TableReader& t, std::string_view name, std::string& out) {
  t.string(name, out);
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) return t.problem(name, "expected text without control characters");
}

RewriteCondition read_condition(TableReader& t) {
  RewriteCondition c;
  t.reject_unknown({"input", "match_type", "pattern", "ignore_case", "negate"});
  t.boolean("ignore_case", c.ignore_case);
  t.boolean("negate", c.negate);
  require(t, "input", "a server variable like \"{REQUEST_FILENAME}\" or \"{HTTP_HOST}\"");
  read_template(t, "input", c.input);
  const bool type_known = read_enum<MatchType>(
      t, "match_type",
      {{"Pattern", MatchType::Pattern}, {"IsFile", MatchType::IsFile}, {"IsDirectory", MatchType::IsDirectory}},
      c.match_type);
  if (t.has("match_type") && !type_known) return c;
  if (c.match_type == MatchType::Pattern) {
    require(t, "pattern", "the regular expression the input must match");
    read_regex(t, "pattern", c.ignore_case, c.pattern);
    return c;
  }
  if (t.has("pattern")) t.problem("pattern", "pattern is not used with match_type IsFile or IsDirectory; remove it");
  // The probe is of a URL path, as the request identity; an arbitrary
  // physical path would let a rule probe the file system beyond the site.
  if (is_string(t, "input") && lower(c.input.text) != "{request_filename}")
    t.problem("input",
              "expected \"{REQUEST_FILENAME}\" with match_type IsFile or IsDirectory, got " + in_quotes(c.input.text));
  return c;
}

void read_action(TableReader& t, RewriteRule& rule) {
  using A = RewriteAction;
  require(t, "action", "Rewrite, Redirect, CustomResponse, AbortRequest or None");
  const bool action_known = read_enum<A>(t, "action",
                                         {{"Rewrite", A::Rewrite},
                                          {"Redirect", A::Redirect},
                                          {"CustomResponse", A::CustomResponse},
                                          {"AbortRequest", A::AbortRequest},
                                          {"None", A::None}},
                                         rule.action);
  const bool has_url = rule.action == A::Rewrite || rule.action == A::Redirect;
  t.boolean("append_query_string", rule.append_query_string);
  if (has_url) {
    require(t, "url", "the target of the " + std::string{to_string(rule.action)} + ", like \"index.php?p={R:1}\"");
    read_template(t, "url", rule.url);
  } else if (t.has("url") && action_known) {
    t.problem("url", "url is used only by the Rewrite and Redirect actions; remove it");
  }
  const auto only_for = [&](std::string_view key, A action) {
    if (!t.has(key) || rule.action == action) return true;
    if (!action_known) return false;
    t.problem(key, std::string{key} + " is used only by the " + std::string{to_string(action)} + " action; remove it");
    return false;
  };
  if (only_for("redirect_type", A::Redirect)) {
    t.count("redirect_type", rule.redirect_type);
    const unsigned r = rule.redirect_type;
    if (t.has("redirect_type") && t.node("redirect_type")->is_integer() && r != 301 && r != 302 && r != 303 &&
        r != 307 && r != 308)
      t.problem("redirect_type", "expected 301, 302, 303, 307 or 308, got " + std::to_string(r));
  }
  if (only_for("status_code", A::CustomResponse)) {
    std::uint64_t status = 0;
    t.count("status_code", status, 200, 599);
    rule.status_code = static_cast<unsigned>(status);
    if (rule.action == A::CustomResponse) require(t, "status_code", "the HTTP status to answer, like 403");
  }
  if (only_for("substatus_code", A::CustomResponse)) {
    std::uint64_t substatus = 0;
    t.count("substatus_code", substatus, 0, 999);
    rule.substatus_code = static_cast<unsigned>(substatus);
  }
  if (only_for("status_reason", A::CustomResponse)) read_text(t, "status_reason", rule.status_reason);
  if (only_for("status_description", A::CustomResponse)) read_text(t, "status_description", rule.status_description);
}

RewriteRule read_rule(TableReader& t, const std::string& header) {
  RewriteRule rule;
  t.reject_unknown({"name", "match", "ignore_case", "negate", "logical_grouping", "stop_processing", "action", "url",
                    "append_query_string", "redirect_type", "status_code", "substatus_code", "status_reason",
                    "status_description", "conditions"});
  require(t, "name", "the rule's name, unique in its list");
  t.string("name", rule.name);
  t.boolean("ignore_case", rule.ignore_case);
  t.boolean("negate", rule.negate);
  t.boolean("stop_processing", rule.stop_processing);
  require(t, "match", "a regular expression on the URL path without its leading '/', like \"^(.*)$\"");
  read_regex(t, "match", rule.ignore_case, rule.match);
  read_enum<LogicalGrouping>(t, "logical_grouping",
                             {{"MatchAll", LogicalGrouping::MatchAll}, {"MatchAny", LogicalGrouping::MatchAny}},
                             rule.logical_grouping);
  read_action(t, rule);
  const auto conditions = t.tables("conditions");
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    if (!conditions[i]) continue;
    TableReader c{*t.state(), *conditions[i], t.key("conditions[" + std::to_string(i) + "]"),
                  "[[" + header + ".conditions]]"};
    rule.conditions.push_back(read_condition(c));
  }
  return rule;
}

void read_front_controller(TableReader& t, const std::vector<std::string>& php_extensions, std::string& out) {
  t.string("front_controller", out);
  if (!is_string(t, "front_controller")) return;
  bool script = false;
  for (const auto& ext : php_extensions) script = script || lower(out).ends_with(lower(ext));
  if (!parse_url_path(out) || !script)
    t.problem("front_controller",
              "expected the URL path of a script like \"/index.php\" (starting with '/', ending in one of the "
              "site's php_extensions, no empty, \".\" or \"..\" segment, no backslash, '%', '?', '#' or control "
              "character), got " +
                  in_quotes(out));
}

}  // namespace

void read_rewrite(TableReader& t, const std::string& header, const std::vector<std::string>& php_extensions,
                  std::vector<RewriteRule>& rules, std::string& front_controller) {
  read_front_controller(t, php_extensions, front_controller);
  const auto tables = t.tables("rewrite");
  std::map<std::string, std::string> seen;  // lower-cased name -> key of its first use
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (!tables[i]) continue;
    const std::string key = t.key("rewrite[" + std::to_string(i) + "]");
    TableReader r{*t.state(), *tables[i], key, "[[" + header + ".rewrite]]"};
    rules.push_back(read_rule(r, header + ".rewrite"));
    if (rules.back().name.empty()) continue;
    // IIS names rules uniquely, case-insensitively, within one <rules> list.
    auto [first, fresh] = seen.emplace(lower(rules.back().name), key + ".name");
    if (!fresh)
      r.problem("name", "duplicate rule name " + in_quotes(rules.back().name) + " (already used at " +
                            t.state()->pos_or(first->second, r.pos()).str() + ")");
  }
}

}  // namespace gatehouse::config

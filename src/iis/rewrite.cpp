// IIS URL Rewrite <rule> -> Gatehouse rewrite rule (the agreed shape of
// ../../../prompts/rewrite-shape.md, written out by toml_writer.cpp).
#include "iis/rewrite.hpp"

#include <algorithm>

namespace gatehouse::iis {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_allowed_input(std::string_view input) {
  static const std::string_view kInputs[] = {"{REQUEST_FILENAME}", "{HTTP_HOST}", "{QUERY_STRING}",
                                             "{REQUEST_URI}",      "{HTTPS}",     "{SERVER_PORT}",
                                             "{REMOTE_ADDR}",      "{URL}"};
  std::string upper{input};
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (std::find(std::begin(kInputs), std::end(kInputs), upper) != std::end(kInputs)) return true;
  return upper.starts_with("{HTTP_") && upper.ends_with("}") && upper.find('{', 1) == std::string::npos &&
         upper.find(':') == std::string::npos;
}

// "{MapName:...}" (a rewrite map): not in the agreed shape. The functions
// ToLower, UrlEncode and UrlDecode are (the engine runs them, whatever their
// case): MediaWiki's short-URL rule for IIS is url="index.php?title={UrlEncode:{R:1}}".
std::optional<std::string> unsupported_reference(std::string_view text) {
  for (std::size_t at = text.find('{'); at != std::string_view::npos; at = text.find('{', at + 1)) {
    const std::size_t colon = text.find(':', at);
    const std::size_t close = text.find('}', at);
    if (colon == std::string_view::npos || close < colon) continue;
    const std::string name{text.substr(at + 1, colon - at - 1)};
    if (name == "R" || name == "C") continue;
    const std::string function = lower(name);
    if (function == "tolower" || function == "urlencode" || function == "urldecode") continue;
    return name;
  }
  return std::nullopt;
}

std::string regex_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view{"\\^$.|?*+()[]{}"}.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// IIS wildcard syntax: '*' matches anything and is captured as {R:n}.
std::string wildcard_to_regex(std::string_view text) {
  std::string out = "^";
  for (char c : text) out += c == '*' ? std::string{"(.*)"} : regex_escape(std::string_view{&c, 1});
  return out + "$";
}

int redirect_code(std::string_view type) {
  const std::string t = lower(type);
  if (t == "found" || t == "302") return 302;
  if (t == "seeother" || t == "303") return 303;
  if (t == "temporary" || t == "307") return 307;
  if (t == "308") return 308;
  return 301;
}

class RuleReader {
 public:
  RuleReader(const XmlFile& file, pugi::xml_node rule, Report& report)
      : file_(file),
        rule_(rule),
        report_(report),
        element_("rewrite rule '" + std::string{rule.attribute("name").as_string()} + "'") {}

  std::optional<RewriteRule> run() {
    RewriteRule r;
    r.name = rule_.attribute("name").as_string();
    if (r.name.empty()) return refuse(rule_, "a rule without a name");
    if (!rule_.attribute("enabled").as_bool(true)) {
      report_.add(file_.name(), file_.line(rule_), element_, Outcome::Mapped, "disabled in IIS: left out (no effect)");
      return std::nullopt;
    }
    r.stop_processing = rule_.attribute("stopProcessing").as_bool(false);
    if (!match(r) || !conditions(r) || !action(r)) return std::nullopt;
    if (pugi::xml_node vars = rule_.child("serverVariables"); vars && vars.first_child())
      return refuse(vars,
                    "serverVariables (setting server variables from a rule) is not supported by Gatehouse's "
                    "rewrite rules");
    const Outcome outcome = approximated_.empty() ? Outcome::Mapped : Outcome::Approximated;
    report_.add(file_.name(), file_.line(rule_), element_, outcome,
                approximated_.empty() ? "a rewrite rule (" + r.action + ")" : approximated_);
    return r;
  }

 private:
  std::nullopt_t refuse(pugi::xml_node at, const std::string& why) {
    report_.add(file_.name(), file_.line(at), element_, Outcome::NotMapped, why + "; the rule is left out");
    return std::nullopt;
  }

  bool match(RewriteRule& r) {
    pugi::xml_node m = rule_.child("match");
    if (!m || !m.attribute("url")) return refuse(rule_, "no <match url>"), false;
    const std::string syntax = lower(rule_.attribute("patternSyntax").as_string("ECMAScript"));
    const std::string url = m.attribute("url").as_string();
    if (syntax == "wildcard") {
      r.match = wildcard_to_regex(url);
      approximated_ = "Wildcard pattern '" + url + "' rewritten as the regular expression '" + r.match + "'";
    } else if (syntax == "exactmatch") {
      r.match = "^" + regex_escape(url) + "$";
    } else {
      r.match = url;  // ECMAScript patterns of IIS rules are valid PCRE2 in practice
    }
    r.ignore_case = m.attribute("ignoreCase").as_bool(true);
    r.negate = m.attribute("negate").as_bool(false);
    return true;
  }

  bool conditions(RewriteRule& r) {
    pugi::xml_node c = rule_.child("conditions");
    if (!c) return true;
    r.logical_grouping =
        lower(c.attribute("logicalGrouping").as_string("MatchAll")) == "matchany" ? "MatchAny" : "MatchAll";
    if (c.attribute("trackAllCaptures").as_bool(false))
      return refuse(c, "trackAllCaptures=\"true\" (captures of every condition) is not supported"), false;
    for (pugi::xml_node add : c.children()) {
      if (std::string_view{add.name()} == "clear") {
        r.conditions.clear();
        continue;
      }
      if (std::string_view{add.name()} != "add") continue;
      RewriteCondition cond;
      cond.input = add.attribute("input").as_string();
      if (!is_allowed_input(cond.input))
        return refuse(add, "condition input '" + cond.input + "' is not one Gatehouse's rewrite rules know"), false;
      const std::string type = lower(add.attribute("matchType").as_string("Pattern"));
      if (type == "isfile")
        cond.match_type = "IsFile";
      else if (type == "isdirectory")
        cond.match_type = "IsDirectory";
      else if (type == "pattern")
        cond.match_type = "Pattern";
      else
        return refuse(add, "matchType '" + type + "' is not supported"), false;
      cond.pattern = add.attribute("pattern").as_string();
      if (cond.match_type == "Pattern" && !add.attribute("pattern"))
        return refuse(add, "a Pattern condition without a pattern"), false;
      if (cond.match_type != "Pattern") cond.pattern.clear();
      cond.ignore_case = add.attribute("ignoreCase").as_bool(true);
      cond.negate = add.attribute("negate").as_bool(false);
      r.conditions.push_back(cond);
    }
    return true;
  }

  bool action(RewriteRule& r) {
    pugi::xml_node a = rule_.child("action");
    const std::string type = lower(a.attribute("type").as_string("None"));
    static const std::pair<std::string_view, std::string_view> kTypes[] = {{"none", "None"},
                                                                           {"rewrite", "Rewrite"},
                                                                           {"redirect", "Redirect"},
                                                                           {"customresponse", "CustomResponse"},
                                                                           {"abortrequest", "AbortRequest"}};
    auto it = std::find_if(std::begin(kTypes), std::end(kTypes), [&](auto& kv) { return kv.first == type; });
    if (it == std::end(kTypes)) return refuse(a ? a : rule_, "action type '" + type + "' is not supported"), false;
    r.action = it->second;
    r.url = a.attribute("url").as_string();
    if (auto name = unsupported_reference(r.url))
      return refuse(a, "the action URL uses {" + *name + ":...} (a rewrite map or function); not supported"), false;
    for (const auto& c : r.conditions)
      if (auto name = unsupported_reference(c.pattern))
        return refuse(a, "a condition uses {" + *name + ":...}; not supported"), false;
    if (r.action == "Rewrite" && (lower(r.url).starts_with("http://") || lower(r.url).starts_with("https://")))
      return refuse(a, "a Rewrite to another server (a reverse proxy through ARR) is not supported"), false;
    if ((r.action == "Rewrite" || r.action == "Redirect") && r.url.empty())
      return refuse(a, "a " + r.action + " action without a url"), false;
    r.append_query_string = a.attribute("appendQueryString").as_bool(true);
    if (r.action == "Redirect") r.redirect_type = redirect_code(a.attribute("redirectType").as_string("Permanent"));
    if (r.action == "CustomResponse") {
      r.status_code = a.attribute("statusCode").as_int(0);
      if (r.status_code < 100 || r.status_code > 999)
        return refuse(a, "a CustomResponse needs a statusCode from 100 to 999"), false;
      r.substatus_code = a.attribute("subStatusCode").as_int(0);
      r.status_reason = a.attribute("statusReason").as_string();
      r.status_description = a.attribute("statusDescription").as_string();
    }
    return true;
  }

  const XmlFile& file_;
  pugi::xml_node rule_;
  Report& report_;
  std::string element_;
  std::string approximated_;
};

}  // namespace

std::optional<RewriteRule> convert_rule(const XmlFile& file, pugi::xml_node rule, Report& report) {
  return RuleReader(file, rule, report).run();
}

}  // namespace gatehouse::iis

// Rewrite rules in the configuration: what loads, and the exact message of
// every mistake (file:line:column, dotted key, what was expected).
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

// A valid pool and site; the tests append to it from line 9 on.
constexpr std::string_view kBase = R"([[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)";

Lines with_base(std::string_view extra) { return problems_of(std::string{kBase} + std::string{extra}); }

Config load_base(std::string_view extra) {
  return load_string(std::string{kBase} + std::string{extra}, "t.toml", {.check_paths = false});
}

constexpr std::string_view kWordPress = R"(front_controller = "/index.php"

[[sites.rewrite]]
name = "WordPress: wp-admin"
match = "^wp-admin$"
action = "Redirect"
url = "wp-admin/"
redirect_type = 308

[[sites.rewrite]]
name = "wordpress"
match = "^(.*)$"
ignore_case = false
stop_processing = true
action = "Rewrite"
url = "index.php?p={R:1}&h={ToLower:{HTTP_HOST}}"
append_query_string = false

[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true

[[sites.rewrite.conditions]]
input = "{HTTP_HOST}"
pattern = "^(www\\.)?example\\.com$"

[[sites.rewrite]]
name = "block"
match = "^private/"
logical_grouping = "MatchAny"
action = "CustomResponse"
status_code = 403
substatus_code = 502
status_reason = "Forbidden"
status_description = "Not here."

[[sites.applications]]
path = "/blog"
physical_path = "/srv/blog"
front_controller = "/app.php"

[[sites.applications.rewrite]]
name = "abort"
match = "^xmlrpc\\.php$"
action = "AbortRequest"
)";

TEST(RewriteConfig, LoadsRulesInOrder) {
  const Config c = load_base(kWordPress);
  const Site& site = c.sites[0];
  EXPECT_EQ(site.front_controller, "/index.php");
  ASSERT_EQ(site.rewrite.size(), 3u);
  const RewriteRule& redirect = site.rewrite[0];
  EXPECT_EQ(redirect.action, RewriteAction::Redirect);
  EXPECT_EQ(redirect.redirect_type, 308u);
  EXPECT_TRUE(redirect.ignore_case);  // IIS's default
  EXPECT_TRUE(redirect.append_query_string);
  const RewriteRule& wp = site.rewrite[1];
  EXPECT_EQ(wp.name, "wordpress");
  EXPECT_FALSE(wp.ignore_case);
  EXPECT_TRUE(wp.stop_processing);
  EXPECT_FALSE(wp.append_query_string);
  EXPECT_EQ(wp.url.text, "index.php?p={R:1}&h={ToLower:{HTTP_HOST}}");
  ASSERT_EQ(wp.conditions.size(), 2u);
  EXPECT_EQ(wp.conditions[0].match_type, MatchType::IsFile);
  EXPECT_TRUE(wp.conditions[0].negate);
  EXPECT_EQ(wp.conditions[1].pattern, "^(www\\.)?example\\.com$");
  const RewriteRule& block = site.rewrite[2];
  EXPECT_EQ(block.logical_grouping, LogicalGrouping::MatchAny);
  EXPECT_EQ(block.status_code, 403u);
  EXPECT_EQ(block.substatus_code, 502u);
  EXPECT_EQ(block.status_description, "Not here.");
  ASSERT_EQ(site.applications.size(), 2u);
  EXPECT_TRUE(site.applications[0].rewrite.empty());
  EXPECT_EQ(site.applications[1].front_controller, "/app.php");
  ASSERT_EQ(site.applications[1].rewrite.size(), 1u);
  EXPECT_EQ(site.applications[1].rewrite[0].action, RewriteAction::AbortRequest);
}

TEST(RewriteConfig, CheckPrintsEachRuleBriefly) {
  const std::string text = summary(load_base(kWordPress));
  EXPECT_NE(text.find("  PHP extensions: .php\n"
                      "  rewrite 1. WordPress: wp-admin: \"^wp-admin$\" -> Redirect 308 \"wp-admin/\"\n"
                      "  rewrite 2. wordpress: \"^(.*)$\" (case) if {REQUEST_FILENAME} !IsFile and {HTTP_HOST} ~ "
                      "\"^(www\\.)?example\\.com$\" -> Rewrite \"index.php?p={R:1}&h={ToLower:{HTTP_HOST}}\", query "
                      "not appended (stop)\n"
                      "  rewrite 3. block: \"^private/\" -> CustomResponse 403.502 \"Forbidden\"\n"
                      "  front controller /index.php (paths that are neither a file nor a folder)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    anonymous: as gh-iusr (IUSR)\n"
                      "    rewrite 1. abort: \"^xmlrpc\\.php$\" -> AbortRequest\n"
                      "    front controller /app.php (paths that are neither a file nor a folder)\n"),
            std::string::npos)
      << text;
}

TEST(RewriteConfig, BadRegexNamesPcre2MessageAndOffset) {
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \"^(abc\"\naction = \"None\"\n"),
            Lines{"t.toml:11:9: key 'sites[0].rewrite[0].match': expected a PCRE2 regular expression: missing "
                  "closing parenthesis at offset 5"});
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"None\"\n"
                      "[[sites.rewrite.conditions]]\ninput = \"{HTTP_HOST}\"\npattern = \"a**\"\n"),
            Lines{"t.toml:15:11: key 'sites[0].rewrite[0].conditions[0].pattern': expected a PCRE2 regular "
                  "expression: quantifier does not follow a repeatable item at offset 2"});
}

TEST(RewriteConfig, UnknownActionAndMissingKeys) {
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"Rewrit\"\n"),
            Lines{"t.toml:12:10: key 'sites[0].rewrite[0].action': expected one of Rewrite, Redirect, "
                  "CustomResponse, AbortRequest, None, got \"Rewrit\""});
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"Rewrite\"\n"),
            Lines{"t.toml:9:1: key 'sites[0].rewrite[0].url': missing key 'url' (the target of the Rewrite, like "
                  "\"index.php?p={R:1}\")"});
  EXPECT_EQ(with_base("[[sites.rewrite]]\nurl = \"x\"\n"),
            (Lines{"t.toml:9:1: key 'sites[0].rewrite[0].name': missing key 'name' (the rule's name, unique in its "
                   "list)",
                   "t.toml:9:1: key 'sites[0].rewrite[0].match': missing key 'match' (a regular expression on the URL "
                   "path without its leading '/', like \"^(.*)$\")",
                   "t.toml:9:1: key 'sites[0].rewrite[0].action': missing key 'action' (Rewrite, Redirect, "
                   "CustomResponse, AbortRequest or None)"}));
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"CustomResponse\"\n"),
            Lines{"t.toml:9:1: key 'sites[0].rewrite[0].status_code': missing key 'status_code' (the HTTP status to "
                  "answer, like 403)"});
}

TEST(RewriteConfig, RedirectTypes) {
  const auto redirect = [](std::string_view type) {
    return with_base(
        "[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"Redirect\"\nurl = \"/x\"\n"
        "redirect_type = " +
        std::string{type} + "\n");
  };
  for (auto ok : {"301", "302", "303", "307", "308"}) EXPECT_EQ(redirect(ok), Lines{"loaded"}) << ok;
  EXPECT_EQ(redirect("305"), Lines{"t.toml:14:17: key 'sites[0].rewrite[0].redirect_type': expected 301, "
                                   "302, 303, 307 or 308, got 305"});
  EXPECT_EQ(redirect("\"Permanent\""),
            Lines{"t.toml:14:17: key 'sites[0].rewrite[0].redirect_type': expected a non-negative integer, got "
                  "string \"Permanent\""});
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"Rewrite\"\nurl = \"/x\"\n"
                      "redirect_type = 302\nstatus_code = 403\n"),
            (Lines{"t.toml:14:17: key 'sites[0].rewrite[0].redirect_type': redirect_type is used only by the Redirect "
                   "action; remove it",
                   "t.toml:15:15: key 'sites[0].rewrite[0].status_code': status_code is used only by the "
                   "CustomResponse action; remove it"}));
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"AbortRequest\"\nurl = \"/x\"\n"),
            Lines{"t.toml:13:7: key 'sites[0].rewrite[0].url': url is used only by the Rewrite and Redirect actions; "
                  "remove it"});
}

TEST(RewriteConfig, CustomResponseValues) {
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"CustomResponse\"\n"
                      "status_code = 99\nsubstatus_code = 1000\nstatus_reason = \"a\\r\\nSet-Cookie: x\"\n"),
            (Lines{"t.toml:13:15: key 'sites[0].rewrite[0].status_code': expected an integer of at least 200, got 99",
                   "t.toml:14:18: key 'sites[0].rewrite[0].substatus_code': expected an integer from 0 to 999, got "
                   "1000",
                   "t.toml:15:17: key 'sites[0].rewrite[0].status_reason': expected text without control "
                   "characters"}));
}

TEST(RewriteConfig, UnknownKeysInRulesAndConditions) {
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"None\"\npatern = \"x\"\n"
                      "[[sites.rewrite.conditions]]\ninput = \"{URL}\"\npattern = \"x\"\nnegated = true\n"),
            (Lines{"t.toml:13:1: key 'sites[0].rewrite[0].patern': unknown key 'patern' in [[sites.rewrite]]; "
                   "expected one of name, match, ignore_case, negate, logical_grouping, stop_processing, action, url, "
                   "append_query_string, redirect_type, status_code, substatus_code, status_reason, "
                   "status_description, conditions",
                   "t.toml:17:1: key 'sites[0].rewrite[0].conditions[0].negated': unknown key 'negated' in "
                   "[[sites.rewrite.conditions]]; expected one of input, match_type, pattern, ignore_case, negate"}));
  EXPECT_EQ(
      with_base("[[sites.applications]]\npath = \"/b\"\nphysical_path = \"/srv/b\"\n"
                "[[sites.applications.rewrite]]\nname = \"r\"\nmatch = \"(\"\naction = \"None\"\nlogical_grouping "
                "= \"All\"\n"),
      (Lines{"t.toml:14:9: key 'sites[0].applications[0].rewrite[0].match': expected a PCRE2 regular "
             "expression: "
             "missing closing parenthesis at offset 1",
             "t.toml:16:20: key 'sites[0].applications[0].rewrite[0].logical_grouping': expected one of "
             "MatchAll, "
             "MatchAny, got \"All\""}));
}

TEST(RewriteConfig, Conditions) {
  const auto condition = [](std::string_view body) {
    return with_base(
        "[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"None\"\n"
        "[[sites.rewrite.conditions]]\n" +
        std::string{body});
  };
  EXPECT_EQ(condition("match_type = \"IsFile\"\ninput = \"{REQUEST_FILENAME}\"\n"), Lines{"loaded"});
  EXPECT_EQ(condition("match_type = \"IsDirectory\"\ninput = \"{request_filename}\"\n"), Lines{"loaded"});
  EXPECT_EQ(condition("input = \"{HTTP_HOST}\"\n"),
            Lines{"t.toml:13:1: key 'sites[0].rewrite[0].conditions[0].pattern': missing key 'pattern' (the regular "
                  "expression the input must match)"});
  EXPECT_EQ(condition("match_type = \"IsFile\"\ninput = \"/etc/{R:1}\"\npattern = \"x\"\n"),
            (Lines{"t.toml:15:9: key 'sites[0].rewrite[0].conditions[0].input': expected \"{REQUEST_FILENAME}\" with "
                   "match_type IsFile or IsDirectory, got \"/etc/{R:1}\"",
                   "t.toml:16:11: key 'sites[0].rewrite[0].conditions[0].pattern': pattern is not used with "
                   "match_type IsFile or IsDirectory; remove it"}));
  EXPECT_EQ(condition("match_type = \"IsLink\"\ninput = \"{REQUEST_FILENAME}\"\n"),
            Lines{"t.toml:14:14: key 'sites[0].rewrite[0].conditions[0].match_type': expected one of "
                  "Pattern, IsFile, "
                  "IsDirectory, got \"IsLink\""});
  EXPECT_EQ(condition("pattern = \"x\"\n"),
            Lines{"t.toml:13:1: key 'sites[0].rewrite[0].conditions[0].input': missing key 'input' (a server "
                  "variable like \"{REQUEST_FILENAME}\" or \"{HTTP_HOST}\")"});
}

TEST(RewriteConfig, Templates) {
  const auto url = [](std::string_view text) {
    return with_base("[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"Rewrite\"\nurl = \"" +
                     std::string{text} + "\"\n");
  };
  EXPECT_EQ(url("x?{R:0}{C:9}{HTTP_X_FORWARDED_FOR}{UrlEncode:{ToLower:{QUERY_STRING}}}{UrlDecode:a}"),
            Lines{"loaded"});
  EXPECT_EQ(url("{DOCUMENT_ROOT}"),
            Lines{"t.toml:13:7: key 'sites[0].rewrite[0].url': expected {R:n}, {C:n}, a server variable "
                  "(REQUEST_FILENAME, QUERY_STRING, REQUEST_URI, URL, HTTPS, SERVER_PORT, REMOTE_ADDR, "
                  "REQUEST_METHOD, HTTP_*) or {ToLower:...}, {UrlEncode:...}, {UrlDecode:...}, got {DOCUMENT_ROOT}"});
  EXPECT_EQ(url("index.php?p={R:1"),
            Lines{"t.toml:13:7: key 'sites[0].rewrite[0].url': expected '}' closing the '{' at offset 12"});
  EXPECT_EQ(url("{Map:{R:1}}"),
            Lines{"t.toml:13:7: key 'sites[0].rewrite[0].url': expected {R:n}, {C:n}, a server variable "
                  "(REQUEST_FILENAME, QUERY_STRING, REQUEST_URI, URL, HTTPS, SERVER_PORT, REMOTE_ADDR, "
                  "REQUEST_METHOD, HTTP_*) or {ToLower:...}, {UrlEncode:...}, {UrlDecode:...}, got {Map:{R:1}} "
                  "(rewrite maps are not supported)"});
  EXPECT_EQ(url("{R:x}"),
            Lines{"t.toml:13:7: key 'sites[0].rewrite[0].url': expected {R:n}, {C:n}, a server variable "
                  "(REQUEST_FILENAME, QUERY_STRING, REQUEST_URI, URL, HTTPS, SERVER_PORT, REMOTE_ADDR, "
                  "REQUEST_METHOD, HTTP_*) or {ToLower:...}, {UrlEncode:...}, {UrlDecode:...}, got {R:x}"});
}

TEST(RewriteConfig, ParseTemplateParts) {
  using Kind = TemplatePart::Kind;
  auto t = parse_template("a{R:12}{http_host}{ToLower:b{C:1}}");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->parts.size(), 4u);
  EXPECT_EQ(t->parts[0].text, "a");
  EXPECT_EQ(t->parts[1].kind, Kind::RuleRef);
  EXPECT_EQ(t->parts[1].index, 12u);
  EXPECT_EQ(t->parts[2].kind, Kind::Variable);
  EXPECT_EQ(t->parts[2].text, "HTTP_HOST");
  EXPECT_EQ(t->parts[3].kind, Kind::ToLower);
  ASSERT_EQ(t->parts[3].args.size(), 2u);
  EXPECT_EQ(t->parts[3].args[1].kind, Kind::ConditionRef);
  EXPECT_FALSE(parse_template("{HTTP_}"));
  EXPECT_FALSE(parse_template(std::string(10, '{') + "ToLower:x" + std::string(10, '}')));
}

TEST(RewriteConfig, FrontControllerAndDuplicateNames) {
  EXPECT_EQ(with_base("front_controller = \"index.php\"\n"),
            Lines{"t.toml:9:20: key 'sites[0].front_controller': expected the URL path of a script like "
                  "\"/index.php\" (starting with '/', ending in one of the site's php_extensions, no empty, \".\" or "
                  "\"..\" segment, no backslash, '%', '?', '#' or control character), got \"index.php\""});
  EXPECT_EQ(with_base("front_controller = \"/index.html\"\n").size(), 1u);
  EXPECT_EQ(with_base("front_controller = \"/a/../index.php\"\n").size(), 1u);
  EXPECT_EQ(with_base("front_controller = \"/Index.PHP\"\n"), Lines{"loaded"});
  EXPECT_EQ(with_base("[[sites.rewrite]]\nname = \"R\"\nmatch = \".\"\naction = \"None\"\n"
                      "[[sites.rewrite]]\nname = \"r\"\nmatch = \".\"\naction = \"None\"\n"),
            Lines{"t.toml:14:8: key 'sites[0].rewrite[1].name': duplicate rule name \"r\" (already used at "
                  "t.toml:10:8)"});
}

}  // namespace
}  // namespace gatehouse::config

// IIS URL Rewrite semantics: rule order and stopping, conditions and their
// grouping, back-references, actions and the variables templates can read.
#include <gtest/gtest.h>

#include "rewrite/test_support.hpp"

namespace gatehouse::rewrite {
namespace {

using testing::FakeSite;
using testing::rules_of;
using testing::show;

std::string rule(std::string_view name, std::string_view match, std::string_view action, std::string_view extra = "") {
  return "[[sites.rewrite]]\nname = \"" + std::string{name} + "\"\nmatch = '" + std::string{match} + "'\naction = \"" +
         std::string{action} + "\"\n" + std::string{extra};
}

std::string condition(std::string_view input, std::string_view pattern, std::string_view extra = "") {
  return "[[sites.rewrite.conditions]]\ninput = \"" + std::string{input} + "\"\npattern = '" + std::string{pattern} +
         "'\n" + std::string{extra};
}

TEST(Semantics, RewriteFeedsLaterRulesUnlessStopped) {
  const std::string chain = rule("old", "^old/(.*)", "Rewrite", "url = \"new/{R:1}\"\n") +
                            rule("new", "^new/(.*)", "Rewrite", "url = \"index.php?page={R:1}&url={URL}\"\n");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(chain), "/old/x?a=1")), "Rewritten /index.php ? page=x&url=/new/x&a=1");
  const std::string stopped = rule("old", "^old/(.*)", "Rewrite", "url = \"new/{R:1}\"\nstop_processing = true\n") +
                              rule("new", "^new/(.*)", "Rewrite", "url = \"index.php?page={R:1}\"\n") +
                              rule("deny", ".", "AbortRequest");
  EXPECT_EQ(show(site.run(rules_of(stopped), "/old/x?a=1")), "Rewritten /new/x ? a=1");
  // A rule that did not match does not stop anything.
  EXPECT_EQ(show(site.run(rules_of(stopped), "/other")), "Abort");
}

TEST(Semantics, NoneActionStopsWhenAsked) {
  const std::string rules = rule("static", "^static/", "None", "stop_processing = true\n") +
                            rule("all", ".*", "Rewrite", "url = \"index.php\"\n");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rules), "/static/a.css")), "Continue");
  EXPECT_EQ(show(site.run(rules_of(rules), "/page")), "Rewritten /index.php ? ");
}

TEST(Semantics, QueryStringSeenByLaterRulesIsTheRewrittenOne) {
  const std::string rules =
      rule("a", "^a$", "Rewrite", "url = \"b?from=a\"\nappend_query_string = false\n") +
      rule("b", "^b$", "Rewrite", "url = \"c.php?q={QUERY_STRING}\"\nappend_query_string = false\n");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rules), "/a?x=1")), "Rewritten /c.php ? q=from=a");
}

TEST(Semantics, MatchAnyAndMatchAll) {
  const std::string conditions =
      condition("{HTTP_HOST}", "^admin\\.") + condition("{QUERY_STRING}", "(^|&)debug=1") + "";
  const std::string any =
      rule("block", ".*", "CustomResponse", "status_code = 403\nlogical_grouping = \"MatchAny\"\n") + conditions;
  const std::string all = rule("block", ".*", "CustomResponse", "status_code = 403\n") + conditions;
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(any), "/x?debug=1")), "CustomResponse 403.0  / ");
  EXPECT_EQ(show(site.run(rules_of(all), "/x?debug=1")), "Continue");
  site.headers["host"] = "admin.example.com";
  EXPECT_EQ(show(site.run(rules_of(any), "/x")), "CustomResponse 403.0  / ");
  EXPECT_EQ(show(site.run(rules_of(all), "/x")), "Continue");
  EXPECT_EQ(show(site.run(rules_of(all), "/x?a=2&debug=1")), "CustomResponse 403.0  / ");
  site.headers["host"] = "www.example.com";
  EXPECT_EQ(show(site.run(rules_of(any), "/x?debug=2")), "Continue");
}

TEST(Semantics, ConditionBackReferencesComeFromTheLastMatchedCondition) {
  const std::string rules = rule("canonical host", "^(.*)$", "Redirect",
                                 "url = \"https://{C:2}/{R:1}?was={C:1}\"\nappend_query_string = false\n") +
                            condition("{HTTP_HOST}", "^(www)\\.(.+)$") +
                            condition("{HTTP_USER_AGENT}", "^(\\w+)/(\\d+)") +
                            condition("{QUERY_STRING}", "^secret=", "negate = true\n");
  FakeSite site;
  site.headers["host"] = "www.example.com";
  site.headers["user-agent"] = "curl/8.1";
  // {C:n} from the user-agent condition: the host's captures are replaced,
  // and the negated condition (which holds because it did not match) has none.
  EXPECT_EQ(show(site.run(rules_of(rules), "/a/b")), "Redirect 301 https://8/a/b?was=curl");
  EXPECT_EQ(show(site.run(rules_of(rules), "/a/b?secret=1")), "Continue");
}

TEST(Semantics, MatchAnyCapturesFromTheConditionThatMatched) {
  const std::string rules =
      rule("r", ".*", "Rewrite",
           "url = \"x.php?v={C:1}\"\nlogical_grouping = \"MatchAny\"\nappend_query_string = false\n") +
      condition("{QUERY_STRING}", "^a=(\\w+)") + condition("{HTTP_HOST}", "^(\\w+)\\.");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rules), "/p?b=1")), "Rewritten /x.php ? v=example");
  EXPECT_EQ(show(site.run(rules_of(rules), "/p?a=one")), "Rewritten /x.php ? v=one");
}

TEST(Semantics, NegatedRuleHasNoCaptures) {
  const std::string rules = rule("not api", "^api/(.*)", "Rewrite",
                                 "negate = true\nurl = \"web.php?r={R:0}{R:1}\"\nappend_query_string = false\n");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rules), "/home")), "Rewritten /web.php ? r=");
  EXPECT_EQ(show(site.run(rules_of(rules), "/api/users")), "Continue");
}

TEST(Semantics, IgnoreCase) {
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rule("r", "^Wiki/", "AbortRequest")), "/wiki/x")), "Abort");
  EXPECT_EQ(show(site.run(rules_of(rule("r", "^Wiki/", "AbortRequest", "ignore_case = false\n")), "/wiki/x")),
            "Continue");
  const std::string cond =
      rule("r", ".", "AbortRequest") + condition("{HTTP_HOST}", "^EXAMPLE", "ignore_case = false\n");
  EXPECT_EQ(show(site.run(rules_of(cond), "/x")), "Continue");
}

TEST(Semantics, RedirectTypesAndQueryStrings) {
  FakeSite site;
  for (unsigned type : {301u, 302u, 303u, 307u, 308u}) {
    const std::string r =
        rule("r", "^old/(.*)", "Redirect", "url = \"/new/{R:1}\"\nredirect_type = " + std::to_string(type) + "\n");
    EXPECT_EQ(show(site.run(rules_of(r), "/old/p?a=1&b=2")), "Redirect " + std::to_string(type) + " /new/p?a=1&b=2");
  }
  const std::string own = rule("r", "^old$", "Redirect", "url = \"/new?x=1\"\n");
  EXPECT_EQ(show(site.run(rules_of(own), "/old?a=1")), "Redirect 301 /new?x=1&a=1");
  EXPECT_EQ(show(site.run(rules_of(own), "/old")), "Redirect 301 /new?x=1");
  const std::string dropped = rule("r", "^old$", "Redirect", "url = \"/new\"\nappend_query_string = false\n");
  EXPECT_EQ(show(site.run(rules_of(dropped), "/old?a=1")), "Redirect 301 /new");
  const std::string https =
      rule("https", "(.*)", "Redirect", "url = \"https://{HTTP_HOST}/{R:1}#top\"\n") + condition("{HTTPS}", "^off$");
  EXPECT_EQ(show(site.run(rules_of(https), "/cart?id=4")), "Redirect 301 https://example.com/cart?id=4#top");
  site.https = true;
  EXPECT_EQ(show(site.run(rules_of(https), "/cart?id=4")), "Continue");
}

TEST(Semantics, CustomResponseAndAbort) {
  const std::string rules = rule("hide", "^private/", "CustomResponse",
                                 "status_code = 404\nsubstatus_code = 8\nstatus_reason = \"Not "
                                 "Found\"\nstatus_description = \"Gone.\"\n") +
                            rule("bots", ".*", "AbortRequest") + condition("{HTTP_USER_AGENT}", "BadBot");
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rules), "/private/x")), "CustomResponse 404.8 Not Found / Gone.");
  site.headers["user-agent"] = "Mozilla BadBot/1.0";
  EXPECT_EQ(show(site.run(rules_of(rules), "/x")), "Abort");
  auto outcome = site.run(rules_of(rules), "/x");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(std::get<Abort>(*outcome).rule, "bots");
}

TEST(Semantics, ServerVariables) {
  const std::string rules =
      rule("vars", ".*", "Rewrite",
           "url = "
           "\"v.php?u={REQUEST_URI}&f={REQUEST_FILENAME}&h={HTTPS}&p={SERVER_PORT}&a={REMOTE_ADDR}&m={REQUEST_"
           "METHOD}&x={HTTP_X_FORWARDED_PROTO}&n={HTTP_X_NOT_SENT}\"\nappend_query_string = false\n");
  FakeSite site;
  site.headers["x-forwarded-proto"] = "https";
  EXPECT_EQ(show(site.run(rules_of(rules), "/a/b?c=d")),
            "Rewritten /v.php ? u=/a/b?c=d&f=/srv/s/a/b&h=off&p=80&a=192.0.2.7&m=GET&x=https&n=");
}

TEST(Semantics, ApplicationRulesRunAfterTheSiteRulesRelativeToTheApplication) {
  constexpr std::string_view kRules = R"toml(
[[sites.rewrite]]
name = "moved"
match = "^blog/old-feed$"
action = "Rewrite"
url = "feed.php"
[[sites.rewrite]]
name = "legacy"
match = "^blog/legacy/(.*)"
action = "Rewrite"
url = "/archive/{R:1}"
[[sites.applications]]
path = "/blog"
physical_path = "/srv/blog"
[[sites.applications.rewrite]]
name = "posts"
match = '^(\d+)/?$'
action = "Rewrite"
url = "post.php?id={R:1}"
[[sites.applications.rewrite]]
name = "root"
match = "^$"
action = "Redirect"
url = "latest"
)toml";
  const CompiledRules blog = rules_of(kRules, 1);
  FakeSite site;
  EXPECT_EQ(show(site.run(blog, "/blog/42")), "Rewritten /blog/post.php ? id=42");
  EXPECT_EQ(show(site.run(blog, "/Blog/42/")), "Rewritten /blog/post.php ? id=42");
  EXPECT_EQ(show(site.run(blog, "/blog")), "Redirect 301 /blog/latest");
  // A site rule's relative url is relative to the site root...
  EXPECT_EQ(show(site.run(blog, "/blog/old-feed")), "Rewritten /feed.php ? ");
  // ...and once the URL has left the application, its rules no longer apply.
  EXPECT_EQ(show(site.run(blog, "/blog/legacy/7")), "Rewritten /archive/7 ? ");
  // The root application runs the site's rules only.
  EXPECT_EQ(show(site.run(rules_of(kRules, 0), "/42")), "Continue");
}

}  // namespace
}  // namespace gatehouse::rewrite

// What a hostile URL, header or rule output cannot do: leave the site through
// a Rewrite, inject a header through a Redirect, or burn CPU in a regex.
#include <gtest/gtest.h>

#include <chrono>

#include "rewrite/substitute.hpp"
#include "rewrite/test_support.hpp"

namespace gatehouse::rewrite {
namespace {

using testing::FakeSite;
using testing::rules_of;
using testing::show;

std::string rewrite_to(std::string_view url, std::string_view extra = "") {
  return "[[sites.rewrite]]\nname = \"r\"\nmatch = '^(.*)$'\naction = \"Rewrite\"\nurl = '" + std::string{url} +
         "'\nappend_query_string = false\n" + std::string{extra};
}

std::string from_query(std::string_view url) {
  return rewrite_to(url) + "[[sites.rewrite.conditions]]\ninput = \"{QUERY_STRING}\"\npattern = '^to=(.*)$'\n";
}

TEST(Safety, RewriteNeverClimbsOutOfTheSite) {
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("../etc/passwd")), "/x")),
            "error: [site s] rewrite rule 'r' failed: refused the Rewrite target \"../etc/passwd\": a \"..\" "
            "segment");
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("/a/b/../../../x")), "/x")).substr(0, 40),
            "error: [site s] rewrite rule 'r' failed:");
  // ".." arriving through a condition's capture of the raw query string.
  EXPECT_TRUE(show(site.run(rules_of(from_query("{C:1}/x.php")), "/p?to=..")).starts_with("error:"));
  EXPECT_TRUE(show(site.run(rules_of(from_query("{UrlDecode:{C:1}}/x.php")), "/p?to=%2e%2e")).starts_with("error:"));
  // Inside a name, ".." cannot climb.
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("a..b/{R:1}")), "/c")), "Rewritten /a..b/c ? ");
}

TEST(Safety, RewriteRefusesBackslashNulAndControlCharacters) {
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("a\\b")), "/x")),
            "error: [site s] rewrite rule 'r' failed: refused the Rewrite target \"a%5Cb\": a backslash, NUL or "
            "control character in the path");
  EXPECT_TRUE(show(site.run(rules_of(from_query("{UrlDecode:{C:1}}")), "/p?to=a%00.php")).starts_with("error:"));
  EXPECT_TRUE(show(site.run(rules_of(from_query("{UrlDecode:{C:1}}")), "/p?to=a%0d%0aX:1")).starts_with("error:"));
  EXPECT_TRUE(show(site.run(rules_of(from_query("{UrlDecode:{C:1}}")), "/p?to=%5c..%5cx")).starts_with("error:"));
}

TEST(Safety, RewriteRefusesAbsoluteUrls) {
  FakeSite site;
  for (auto url : {"http://evil.example/x", "HTTPS://evil.example/", "//evil.example/x", "javascript:alert(1)"})
    EXPECT_EQ(show(site.run(rules_of(rewrite_to(url)), "/x")),
              "error: [site s] rewrite rule 'r' failed: refused the Rewrite target \"" + std::string{url} +
                  "\": an absolute URL (a Rewrite stays inside the site; use a Redirect to leave it)");
  EXPECT_TRUE(show(site.run(rules_of(from_query("{C:1}")), "/p?to=//evil.example/")).starts_with("error:"));
  // A Redirect may leave the site: that is what it is for.
  const std::string redirect =
      "[[sites.rewrite]]\nname = \"r\"\nmatch = '.*'\naction = \"Redirect\"\n"
      "url = \"https://other.example/\"\n";
  EXPECT_EQ(show(site.run(rules_of(redirect), "/x")), "Redirect 301 https://other.example/");
}

TEST(Safety, RewrittenPathIsEncodedSoCanonicalisationDecodesItOnce) {
  FakeSite site;
  // A decoded '%', '?' or '#' from the URL stays a literal character of the
  // path: "%41" must not become "A" when the caller decodes the result.
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("new/{R:1}")), "/a b%41#?")), "Rewritten /new/a%20b%2541%23 ? ");
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("new/{R:1}")), "/Zürich")), "Rewritten /new/Z%C3%BCrich ? ");
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("./a//b/./{R:1}")), "/c/")), "Rewritten /a/b/c/ ? ");
  // Query strings built from decoded captures get spaces and controls encoded.
  EXPECT_EQ(show(site.run(rules_of(rewrite_to("i.php?t={R:1}")), "/a b#c")), "Rewritten /i.php ? t=a%20b%23c");
}

TEST(Safety, RedirectLocationCannotSplitHeadersOrTurnProtocolRelative) {
  FakeSite site;
  const auto redirect = [](std::string_view url) {
    return "[[sites.rewrite]]\nname = \"r\"\nmatch = '.*'\naction = \"Redirect\"\nappend_query_string = "
           "false\n"
           "url = '" +
           std::string{url} +
           "'\n[[sites.rewrite.conditions]]\ninput = \"{QUERY_STRING}\"\n"
           "pattern = '^to=(.*)$'\n";
  };
  EXPECT_EQ(show(site.run(rules_of(redirect("/{UrlDecode:{C:1}}")), "/p?to=x%0d%0aSet-Cookie:%20a=1")),
            "Redirect 301 /x%0D%0ASet-Cookie:%20a=1");
  EXPECT_EQ(show(site.run(rules_of(redirect("/{C:1}")), "/p?to=/evil.example/")), "Redirect 301 /evil.example/");
  EXPECT_EQ(show(site.run(rules_of(redirect("/{UrlDecode:{C:1}}")), "/p?to=%5cevil.example")),
            "Redirect 301 /evil.example");
  EXPECT_EQ(show(site.run(rules_of(redirect("{UrlDecode:{C:1}}")), "/p?to=/%5cevil.example")),
            "Redirect 301 /%5Cevil.example");
}

TEST(Safety, CatastrophicBacktrackingStopsAtTheMatchLimit) {
  // Nested quantifiers on a long URL that almost matches: exponential
  // backtracking without a limit.
  const std::string hostile = "/" + std::string(4000, 'a') + "!";
  for (bool jit : {true, false}) {
    auto regex = Regex::compile("^(\\w+\\s?)*$", true, "test", jit);
    ASSERT_TRUE(regex);
    EXPECT_EQ(regex->jit(), jit);
    MatchData scratch{regex->pairs()};
    std::vector<std::string> captures;
    const auto start = std::chrono::steady_clock::now();
    auto result = regex->match(hostile.substr(1), scratch, captures);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result) << "jit " << jit;
    EXPECT_EQ(result.error().detail, "PCRE2 match limit exceeded") << "jit " << jit;
    EXPECT_LT(elapsed, std::chrono::milliseconds(100)) << "jit " << jit;
  }
  // Through evaluate: an error (the caller answers 500), quickly.
  FakeSite site;
  const std::string hostile_rule =
      "[[sites.rewrite]]\nname = \"redos\"\nmatch = '^(\\w+\\s?)*$'\naction = \"Rewrite\"\nurl = \"x.php\"\n";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(show(site.run(rules_of(hostile_rule), hostile)),
            "error: [site s] rewrite rule 'redos' (match) failed: PCRE2 match limit exceeded");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(Safety, OrdinaryPatternsOnLongUrlsStayUnderTheLimit) {
  const std::string path = "/" + std::string(4096, 'a') + "/b.html";
  FakeSite site;
  const std::string rules =
      rewrite_to("index.php?p={R:1}") +
      "[[sites.rewrite]]\nname = \"q\"\nmatch = '^(?:[^/]+/)*([^/]+)\\.(\\w+)$'\naction = \"None\"\n";
  EXPECT_TRUE(show(site.run(rules_of(rules), path)).starts_with("Rewritten /index.php ? p=aaa"));
  auto regex = Regex::compile("^(.*?)(?:/index)?\\.(html|php)$", true, "test", false);
  ASSERT_TRUE(regex);
  MatchData scratch{regex->pairs()};
  std::vector<std::string> captures;
  auto matched = regex->match(path.substr(1), scratch, captures);
  ASSERT_TRUE(matched) << matched.error().message();
  EXPECT_TRUE(*matched);
  EXPECT_EQ(captures[2], "html");
}

TEST(Safety, ExpansionIsBounded) {
  std::string doubled;
  for (int i = 0; i < 20; ++i) doubled += "{R:0}";
  FakeSite site;
  EXPECT_EQ(show(site.run(rules_of(rewrite_to(doubled)), "/" + std::string(4000, 'a'))),
            "error: [site s] rewrite rule 'r' failed: a substitution longer than 65536 bytes");
}

TEST(Safety, HeaderValuesThatAreNotUtf8SimplyDoNotMatch) {
  FakeSite site;
  site.headers["user-agent"] = std::string{"\xff\xfe bot"};
  const std::string rules =
      "[[sites.rewrite]]\nname = \"r\"\nmatch = '.*'\naction = \"AbortRequest\"\n"
      "[[sites.rewrite.conditions]]\ninput = \"{HTTP_USER_AGENT}\"\npattern = 'bot$'\n";
  EXPECT_EQ(show(site.run(rules_of(rules), "/x")), "Abort");
  site.headers["user-agent"] = std::string{"\xff\xfe"};
  EXPECT_EQ(show(site.run(rules_of(rules), "/x")), "Continue");
}

TEST(Safety, UrlEncodeAndDecode) {
  EXPECT_EQ(url_encode("a b&c/d~é"), "a%20b%26c%2Fd~%C3%A9");
  EXPECT_EQ(url_decode("a+b%26c%2fd%zz%"), "a b&c/d%zz%");
}

}  // namespace
}  // namespace gatehouse::rewrite

// requestFiltering and handler policy decisions, from configuration text to
// the 404.x a client gets, including the ways an attacker would try around them.
#include "http/request_filter.hpp"

#include <gtest/gtest.h>

#include "config/load.hpp"

namespace gatehouse::http {
namespace {

config::Config load(const std::string& extra_site, const std::string& extra_app = "") {
  return config::load_string(R"([[pools]]
name = "p"
[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)" + extra_site + R"(
[[sites.applications]]
path = "/app"
physical_path = "/srv/s/app"
)" + extra_app,
                             "t.toml", {.check_paths = false});
}

struct Case {
  int substatus;  // 0: allowed
  bool scripts;
};

Case decide(const config::Config& c, std::string_view path, std::size_t app = 0) {
  const auto d = filter_request(c.sites[0], c.sites[0].applications[app], path);
  EXPECT_EQ(d.allowed, d.substatus == 0);
  if (!d.allowed) EXPECT_EQ(d.status, 404);
  return {d.substatus, d.scripts};
}

constexpr const char* kMediaWiki = R"(
[sites.request_filtering]
hidden_segments = ["vendor", "mw-config", "composer.json"]
denied_url_sequences = ["/extension.json"]
denied_extensions = [".lock", ".json"]
)";

TEST(RequestFilter, NothingConfiguredAllowsAndRunsScripts) {
  const auto c = load("");
  EXPECT_EQ(decide(c, "/index.php").substatus, 0);
  EXPECT_TRUE(decide(c, "/index.php").scripts);
}

TEST(RequestFilter, MediaWikiFilesAreRefusedWithIisSubstatus) {
  const auto c = load(kMediaWiki);
  EXPECT_EQ(decide(c, "/vendor/composer/installed.json").substatus, 8);
  EXPECT_EQ(decide(c, "/mw-config/index.php").substatus, 8);
  EXPECT_EQ(decide(c, "/composer.json").substatus, 8);
  EXPECT_EQ(decide(c, "/extensions/Cite/extension.json").substatus, 5);
  EXPECT_EQ(decide(c, "/composer.lock").substatus, 7);
  EXPECT_EQ(decide(c, "/skins/x.json").substatus, 7);
  EXPECT_EQ(decide(c, "/index.php").substatus, 0);
  EXPECT_EQ(decide(c, "/vendorial/x.css").substatus, 0);  // a segment, not a prefix
}

TEST(RequestFilter, CaseDoesNotGetAround) {
  const auto c = load(kMediaWiki);
  EXPECT_EQ(decide(c, "/VENDOR/autoload.php").substatus, 8);
  EXPECT_EQ(decide(c, "/Composer.JSON").substatus, 8);
  EXPECT_EQ(decide(c, "/x/Extension.Json").substatus, 5);
  EXPECT_EQ(decide(c, "/a.LoCk").substatus, 7);
}

TEST(RequestFilter, ExtensionOfAnySegmentCounts) {
  const auto c = load(kMediaWiki);
  EXPECT_EQ(decide(c, "/data.lock/index.php").substatus, 7);  // path info cannot hide it
}

TEST(RequestFilter, AllowListRefusesTheRest) {
  const auto c = load("[sites.request_filtering]\nallowed_extensions = [\".php\", \".css\", \".\"]\n");
  EXPECT_EQ(decide(c, "/index.php").substatus, 0);
  EXPECT_EQ(decide(c, "/").substatus, 0);
  EXPECT_EQ(decide(c, "/wiki/Main_Page").substatus, 0);
  EXPECT_EQ(decide(c, "/backup.sql").substatus, 7);
  EXPECT_EQ(decide(c, "/index.php.bak").substatus, 7);
}

TEST(RequestFilter, ApplicationAddsToTheSite) {
  const auto c = load(kMediaWiki, "[sites.applications.request_filtering]\nhidden_segments = [\"cache\"]\n");
  EXPECT_EQ(decide(c, "/app/cache/x.php", 1).substatus, 8);
  EXPECT_EQ(decide(c, "/app/vendor/x.php", 1).substatus, 8);  // inherited
  EXPECT_EQ(decide(c, "/cache/x.php", 0).substatus, 0);       // the site's own lists lack it
}

TEST(RequestFilter, HandlerPolicyTurnsScriptsOffBelowAPath) {
  const auto c = load(R"(
[[sites.handler_policies]]
path = "/images"
scripts = false
[[sites.handler_policies]]
path = "/images/php"
scripts = true
)");
  EXPECT_FALSE(decide(c, "/images/x.php").scripts);
  EXPECT_FALSE(decide(c, "/IMAGES/x.php").scripts);
  EXPECT_FALSE(decide(c, "/images").scripts);
  EXPECT_TRUE(decide(c, "/images/php/x.php").scripts);  // the longest path wins
  EXPECT_TRUE(decide(c, "/imagesx/x.php").scripts);
  EXPECT_TRUE(decide(c, "/index.php").scripts);
}

TEST(RequestFilter, BadValuesAreConfigErrors) {
  try {
    load(
        "[sites.request_filtering]\nhidden_segments = [\"a/b\"]\ndenied_extensions = [\"json\"]\n"
        "[[sites.handler_policies]]\npath = \"/x\"\n");
    FAIL() << "loaded";
  } catch (const config::ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 3u) << e.what();
    EXPECT_EQ(e.problems()[0].str(),
              "t.toml:9:20: key 'sites[0].request_filtering.hidden_segments[0]': expected a URL segment "
              "without '/' "
              "like \"vendor\", got \"a/b\"");
    EXPECT_EQ(e.problems()[1].str(),
              "t.toml:10:22: key 'sites[0].request_filtering.denied_extensions[0]': expected an extension like "
              "\".json\" (or \".\" for none), got \"json\"");
    EXPECT_NE(e.problems()[2].str().find("missing key 'scripts'"), std::string::npos) << e.problems()[2].str();
  }
}

}  // namespace
}  // namespace gatehouse::http

// Real applications' rule sets, translated to IIS-style rules in TOML: what
// each kind of URL becomes.
#include <gtest/gtest.h>

#include "rewrite/test_support.hpp"

namespace gatehouse::rewrite {
namespace {

using testing::FakeSite;
using testing::rules_of;
using testing::show;

// WordPress's web.config (codex "Using Permalinks", IIS): anything that is
// neither a file nor a folder goes to index.php.
constexpr std::string_view kWordPress = R"toml(
[[sites.rewrite]]
name = "WordPress"
match = ".*"
action = "Rewrite"
url = "index.php"
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsDirectory"
negate = true
)toml";

TEST(Applications, WordPressPermalinks) {
  const CompiledRules rules = rules_of(kWordPress);
  FakeSite site;
  site.files.insert("/wp-content/uploads/2024/cat.jpg");
  site.dirs.insert("/wp-admin");
  EXPECT_EQ(show(site.run(rules, "/2024/05/hello-world/")), "Rewritten /index.php ? ");
  EXPECT_EQ(show(site.run(rules, "/2024/05/hello-world/?replytocom=3")), "Rewritten /index.php ? replytocom=3");
  EXPECT_EQ(show(site.run(rules, "/wp-content/uploads/2024/cat.jpg")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/wp-admin/")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/")), "Continue");
  // The probe is asked about the URL path, decoded, with its leading slash.
  site.probed.clear();
  site.run(rules, "/category/news");
  EXPECT_EQ(site.probed, (std::vector<std::string>{"/category/news", "/category/news"}));
}

// Laravel's public/web.config: a trailing slash on a path that is not a
// folder redirects away; everything else that is not a file or folder runs
// index.php.
constexpr std::string_view kLaravel = R"toml(
[[sites.rewrite]]
name = "Imported Rule 1"
match = "^(.*)/$"
ignore_case = false
stop_processing = true
action = "Redirect"
redirect_type = 301
url = "/{R:1}"
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsDirectory"
ignore_case = false
negate = true

[[sites.rewrite]]
name = "Imported Rule 2"
match = "^"
ignore_case = false
stop_processing = true
action = "Rewrite"
url = "index.php"
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsDirectory"
negate = true
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true
)toml";

TEST(Applications, LaravelFrontController) {
  const CompiledRules rules = rules_of(kLaravel);
  FakeSite site;
  site.files.insert("/css/app.css");
  site.dirs.insert("/css");
  EXPECT_EQ(show(site.run(rules, "/users/5/?tab=posts")), "Redirect 301 /users/5?tab=posts");
  EXPECT_EQ(show(site.run(rules, "/users/5?tab=posts")), "Rewritten /index.php ? tab=posts");
  EXPECT_EQ(show(site.run(rules, "/css/")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/css/app.css")), "Continue");
}

// Symfony (and Slim, Drupal, Nextcloud): the front_controller shorthand.
TEST(Applications, SymfonyFrontControllerShorthand) {
  const CompiledRules rules = rules_of("front_controller = \"/index.php\"\n");
  ASSERT_EQ(rules.rules().size(), 1u);
  FakeSite site;
  site.files.insert("/bundles/app.js");
  EXPECT_EQ(show(site.run(rules, "/blog/2024/hello?page=2")), "Rewritten /index.php ? page=2");
  EXPECT_EQ(show(site.run(rules, "/bundles/app.js")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/index.php")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/")), "Continue");  // a folder: default documents serve it
}

TEST(Applications, FrontControllerOfAnApplicationIsBelowIt) {
  constexpr std::string_view kApps = R"toml(front_controller = "/index.php"
[[sites.applications]]
path = "/api"
physical_path = "/srv/api"
front_controller = "/public/app.php"
[[sites.applications]]
path = "/plain"
physical_path = "/srv/plain"
)toml";
  FakeSite site;
  site.files.insert("/api/public/app.php");
  EXPECT_EQ(show(site.run(rules_of(kApps, 1), "/api/v1/users?id=3")), "Rewritten /api/public/app.php ? id=3");
  EXPECT_EQ(show(site.run(rules_of(kApps, 1), "/API/v1")), "Rewritten /api/public/app.php ? ");
  // The site's front controller serves the root application only: a missing
  // file of another application is that application's 404, not the site's script.
  EXPECT_EQ(show(site.run(rules_of(kApps, 2), "/plain/missing")), "Continue");
  EXPECT_EQ(show(site.run(rules_of(kApps, 0), "/missing")), "Rewritten /index.php ? ");
}

// MediaWiki short URLs (Manual:Short URL, IIS): /wiki/Page -> index.php?title=Page.
constexpr std::string_view kMediaWiki = R"toml(
[[sites.rewrite]]
name = "MediaWiki short URLs"
match = "^wiki/(.*)$"
stop_processing = true
action = "Rewrite"
url = "index.php?title={UrlEncode:{R:1}}"
[[sites.rewrite]]
name = "MediaWiki root"
match = "^$"
stop_processing = true
action = "Rewrite"
url = "index.php"
)toml";

TEST(Applications, MediaWikiShortUrls) {
  const CompiledRules rules = rules_of(kMediaWiki);
  FakeSite site;
  EXPECT_EQ(show(site.run(rules, "/wiki/Main_Page")), "Rewritten /index.php ? title=Main_Page");
  EXPECT_EQ(show(site.run(rules, "/wiki/Main_Page?action=edit")), "Rewritten /index.php ? title=Main_Page&action=edit");
  EXPECT_EQ(show(site.run(rules, "/wiki/Tom & Jerry")), "Rewritten /index.php ? title=Tom%20%26%20Jerry");
  EXPECT_EQ(show(site.run(rules, "/wiki/Zürich")), "Rewritten /index.php ? title=Z%C3%BCrich");
  EXPECT_EQ(show(site.run(rules, "/")), "Rewritten /index.php ? ");
  EXPECT_EQ(show(site.run(rules, "/w/load.php?modules=site")), "Continue");
}

// DokuWiki's .htaccess.dist (userewrite=1) in IIS form: each RewriteRule with
// [QSA,L] is a Rewrite with append_query_string and stop_processing.
constexpr std::string_view kDokuWiki = R"toml(
[[sites.rewrite]]
name = "media"
match = "^_media/(.*)"
stop_processing = true
action = "Rewrite"
url = "lib/exe/fetch.php?media={R:1}"
[[sites.rewrite]]
name = "detail"
match = "^_detail/(.*)"
stop_processing = true
action = "Rewrite"
url = "lib/exe/detail.php?media={R:1}"
[[sites.rewrite]]
name = "export"
match = "^_export/([^/]+)/(.*)"
stop_processing = true
action = "Rewrite"
url = "doku.php?do=export_{R:1}&id={R:2}"
[[sites.rewrite]]
name = "start"
match = "^$"
stop_processing = true
action = "Rewrite"
url = "doku.php"
[[sites.rewrite]]
name = "page"
match = "(.*)"
stop_processing = true
action = "Rewrite"
url = "doku.php?id={R:1}"
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsDirectory"
negate = true
[[sites.rewrite]]
name = "index"
match = "^index.php$"
action = "Rewrite"
url = "doku.php"
)toml";

TEST(Applications, DokuWikiUserewrite) {
  const CompiledRules rules = rules_of(kDokuWiki);
  FakeSite site;
  site.files.insert({"/doku.php", "/lib/tpl/dokuwiki/images/logo.png"});
  site.dirs.insert({"/lib", "/lib/tpl"});
  EXPECT_EQ(show(site.run(rules, "/_media/wiki:dokuwiki-128.png?w=200")),
            "Rewritten /lib/exe/fetch.php ? media=wiki:dokuwiki-128.png&w=200");
  EXPECT_EQ(show(site.run(rules, "/_detail/wiki:dokuwiki-128.png?id=start")),
            "Rewritten /lib/exe/detail.php ? media=wiki:dokuwiki-128.png&id=start");
  EXPECT_EQ(show(site.run(rules, "/_export/raw/wiki:syntax")), "Rewritten /doku.php ? do=export_raw&id=wiki:syntax");
  EXPECT_EQ(show(site.run(rules, "/")), "Rewritten /doku.php ? ");
  EXPECT_EQ(show(site.run(rules, "/wiki:syntax?do=edit")), "Rewritten /doku.php ? id=wiki:syntax&do=edit");
  EXPECT_EQ(show(site.run(rules, "/playground/playground")), "Rewritten /doku.php ? id=playground/playground");
  EXPECT_EQ(show(site.run(rules, "/lib/tpl/dokuwiki/images/logo.png")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/lib/tpl/")), "Continue");
  EXPECT_EQ(show(site.run(rules, "/index.php?id=start")), "Rewritten /doku.php ? id=start");
}

}  // namespace
}  // namespace gatehouse::rewrite

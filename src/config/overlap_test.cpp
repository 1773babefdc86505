// Overlapping trees of different pools: errors naming both places, sharing on
// purpose (share_with) as a warning, a web root outside its app_root.
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

// Two sites in two pools; tests append lines to site "up" (line 18 on).
constexpr std::string_view kTwo = R"([[pools]]
name = "wiki"
php_ini = "/srv/wiki/php.ini"
[[pools]]
name = "up"
php_ini = "/srv/up/php.ini"
[[sites]]
name = "wiki"
bindings = ["http://*:80:wiki"]
app_root = "/srv/wiki"
physical_path = "/srv/wiki/public"
pool = "wiki"
[[sites]]
name = "up"
bindings = ["http://*:80:up"]
physical_path = "/srv/up/public"
pool = "up"
)";

std::vector<std::string> warnings_of(std::string_view text) {
  const Config config = load_string(text, "t.toml", {.check_paths = false});
  std::vector<std::string> out;
  for (const auto& w : config.warnings) out.push_back(w.str());
  return out;
}

TEST(Overlap, SeparateTreesLoadWithoutWarnings) {
  EXPECT_EQ(problems_of(kTwo), Lines{"loaded"});
  EXPECT_TRUE(warnings_of(kTwo).empty());
}

TEST(Overlap, WritableInsideAnotherPoolsTreeNamesBothPlaces) {
  EXPECT_EQ(problems_of(std::string{kTwo} + "writable = [\"/srv/wiki/data\"]\n"),
            Lines{"t.toml:18:13: key 'sites[1].writable[0]': \"/srv/wiki/data\" lies inside app_root \"/srv/wiki\" "
                  "of site wiki (pool wiki, sites[0].app_root at t.toml:10:12): pool up gets modify rights in pool "
                  "wiki's files there, and pool wiki gets read rights in pool up's, which breaks the isolation "
                  "between pools. Give each pool folders of its own; to share on purpose, add share_with = "
                  "[\"wiki\"] to site up"});
}

TEST(Overlap, AppRootContainingAnotherSiteIsOneError) {
  const Lines problems = problems_of(std::string{kTwo} + "app_root = \"/srv\"\n");
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0],
            "t.toml:18:12: key 'sites[1].app_root': \"/srv\" contains app_root \"/srv/wiki\" of site wiki (pool "
            "wiki, sites[0].app_root at t.toml:10:12): pool up gets read rights in pool wiki's files there, and "
            "pool "
            "wiki gets read rights in pool up's, which breaks the isolation between pools. Give each pool folders "
            "of its own; to share on purpose, add share_with = [\"wiki\"] to site up");
}

TEST(Overlap, VirtualDirectoryAndApplicationOfAnotherPool) {
  const std::string text =
      std::string{kTwo} + "[[sites.virtual_directories]]\npath = \"/pages\"\nphysical_path = \"/srv/wiki/public/p\"\n";
  const Lines problems = problems_of(text);
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("key 'sites[1].virtual_directories[0].physical_path': \"/srv/wiki/public/p\" lies "
                             "inside app_root \"/srv/wiki\" of site wiki"),
            std::string::npos)
      << problems[0];
}

TEST(Overlap, NestedApplicationOfAnotherPool) {
  const std::string text =
      std::string{kTwo} +
      "[[sites.applications]]\npath = \"/w\"\nphysical_path = \"/srv/up/public/w\"\npool = \"wiki\"\n";
  const Lines problems = problems_of(text);
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("key 'sites[1].applications[0].physical_path': \"/srv/up/public/w\" lies inside "
                             "physical_path \"/srv/up/public\" of site up (pool up"),
            std::string::npos)
      << problems[0];
}

TEST(Overlap, SamePoolMayNest) {
  const std::string text =
      std::string{kTwo} +
      "[[sites.applications]]\npath = \"/w\"\nphysical_path = \"/srv/up/public/w\"\npool = \"up\"\n";
  EXPECT_EQ(problems_of(text), Lines{"loaded"});
}

TEST(Overlap, SharedOnPurposeIsALoudWarning) {
  const std::string text = std::string{kTwo} + "writable = [\"/srv/wiki/data\"]\nshare_with = [\"wiki\"]\n";
  EXPECT_EQ(problems_of(text), Lines{"loaded"});
  const auto warnings = warnings_of(text);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.toml:18:13: key 'sites[1].writable[0]': SHARED ON PURPOSE (share_with): \"/srv/wiki/data\" lies "
            "inside app_root \"/srv/wiki\" of site wiki (pool wiki, sites[0].app_root at t.toml:10:12): pool up "
            "gets "
            "modify rights in pool wiki's files there, and pool wiki gets read rights in pool up's; the two pools "
            "are NOT isolated from each other in this folder");
}

TEST(Overlap, ShareWithNamesAPool) {
  EXPECT_EQ(problems_of(std::string{kTwo} + "share_with = [\"nope\"]\n"),
            Lines{"t.toml:18:15: key 'sites[1].share_with[0]': expected the name of a [[pools]] entry, got "
                  "\"nope\""});
}

TEST(Overlap, WebRootOutsideAppRootWarns) {
  const std::string text = std::string{kTwo} + "app_root = \"/srv/up/code\"\n";
  EXPECT_EQ(problems_of(text), Lines{"loaded"});
  EXPECT_EQ(warnings_of(text),
            Lines{"t.toml:16:17: key 'sites[1].physical_path': physical_path \"/srv/up/public\" is outside app_root "
                  "\"/srv/up/code\" (sites[1].app_root at t.toml:18:12): pool up is granted read on both trees; put "
                  "the web root inside the application's root"});
}

}  // namespace
}  // namespace gatehouse::config

namespace gatehouse::config {
namespace {

TEST(SharedPhpIni, SameFileIsOneError) {
  const std::string text =
      "[[pools]]\nname = \"a\"\nphp_ini = \"/etc/p.ini\"\n[[pools]]\nname = \"b\"\nphp_ini = "
      "\"/etc/p.ini\"\n";
  EXPECT_EQ(problems_of(text),
            Lines{"t.toml:6:11: key 'pools[1].php_ini': \"/etc/p.ini\" is also the php.ini of pool a "
                  "(pools[0].php_ini "
                  "at t.toml:3:11): the pools would share its upload_tmp_dir, session.save_path and error_log; give "
                  "each pool its own php.ini"});
}

TEST(SharedPhpIni, TwoDefaultsWarn) {
  const auto warnings = warnings_of("[[pools]]\nname = \"a\"\n[[pools]]\nname = \"b\"\n");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("pools a and b both use php-cgi's default php.ini"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace gatehouse::config

namespace gatehouse::config {
namespace {

// The example the README points to loads, without a warning.
TEST(Examples, TwoSitesInTheRepositoryLoads) {
  const Config c = load_file(std::string{GH_SOURCE_DIR} + "/config/examples/two-sites.toml", {.check_paths = false});
  EXPECT_EQ(c.sites.size(), 1u);
  EXPECT_EQ(c.pools.size(), 2u);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front().str();
}

}  // namespace
}  // namespace gatehouse::config

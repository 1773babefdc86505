// The reload diff: which pools recycle, what is reported, what needs a restart.
#include "reload/diff.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"

namespace gatehouse::reload {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::Config parse(const std::string& pools, const std::string& sites, const std::string& server = "") {
  return config::load_string("[server]\nstate_dir = \"/tmp/s\"\nlog_dir = \"/tmp/l\"\n" + server + "\n" + pools + sites,
                             "test.toml", config::LoadOptions{.check_paths = false});
}

const std::string kPools = "[[pools]]\nname = \"a\"\n[[pools]]\nname = \"b\"\n";
const std::string kSite =
    "[[sites]]\nname = \"s\"\nbindings = [\"http://127.0.0.1:8081:*\"]\n"
    "app_root = \"/srv/s\"\nphysical_path = \"/srv/s\"\npool = \"a\"\n";

TEST(ReloadDiff, SameConfigurationChangesNothing) {
  auto c = parse(kPools, kSite);
  auto d = diff(c, {{"a", "x"}, {"b", ""}}, c, {{"a", "x"}, {"b", ""}});
  EXPECT_THAT(d.retire_pools, IsEmpty());
  EXPECT_THAT(d.changes, IsEmpty());
  EXPECT_THAT(d.need_restart, IsEmpty());
}

TEST(ReloadDiff, ChangedSettingsOrPhpIniRecycleOnlyThatPool) {
  auto old = parse(kPools, kSite);
  auto next = parse("[[pools]]\nname = \"a\"\n[pools.fastcgi]\nmax_instances = 7\n[[pools]]\nname = \"b\"\n", kSite);
  auto d = diff(old, {}, next, {});
  EXPECT_THAT(d.retire_pools, ElementsAre("a"));
  EXPECT_THAT(d.changes, ElementsAre("pool a: settings changed: overlapped recycle (new workers take new requests)"));
  auto ini = diff(old, {{"b", "1"}}, old, {{"b", "2"}});
  EXPECT_THAT(ini.retire_pools, ElementsAre("b"));
  EXPECT_THAT(ini.changes, ElementsAre("pool b: php.ini changed: overlapped recycle (new workers take new requests)"));
}

TEST(ReloadDiff, AddedAndRemovedPoolsAndSites) {
  auto old = parse(kPools, kSite);
  const std::string other =
      "[[sites]]\nname = \"t\"\nbindings = [\"http://127.0.0.1:8082:*\"]\n"
      "app_root = \"/srv/t\"\nphysical_path = \"/srv/t\"\npool = \"c\"\n";
  auto next = parse("[[pools]]\nname = \"a\"\n[[pools]]\nname = \"c\"\n", other);
  auto d = diff(old, {}, next, {});
  EXPECT_THAT(d.retire_pools, ElementsAre("b"));
  EXPECT_THAT(d.changes, ElementsAre("pool b: removed: its workers finish their requests and stop", "pool c: added",
                                     "site s: removed", "site t: added"));
}

TEST(ReloadDiff, ServerSettingsThatNeedARestartAreNamed) {
  auto old = parse(kPools, kSite, "threads = 2");
  auto next = parse(kPools, kSite, "threads = 3");
  EXPECT_THAT(diff(old, {}, next, {}).need_restart, ElementsAre("server.threads"));
}

TEST(ReloadDiff, FingerprintIgnoresWhereThePoolIsWritten) {
  auto a = parse(kPools, kSite);
  auto b = parse("\n\n" + kPools, kSite);
  EXPECT_EQ(pool_fingerprint(a.pools[0]), pool_fingerprint(b.pools[0]));
  EXPECT_NE(a.pools[0].pos.line, b.pools[0].pos.line);
}

}  // namespace
}  // namespace gatehouse::reload

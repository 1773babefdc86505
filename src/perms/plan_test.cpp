// Plan expectations on configurations built in code: the grants, closed trees
// and notes an administrator sees from `gatehouse perms plan`.
#include "perms/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/summary.hpp"
#include "perms/report.hpp"
#include "perms/test_config.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::HasSubstr;
using testing_support::two_sites;

const Grant* find(const Plan& plan, const Path& path, const std::string& account) {
  for (const auto& g : plan.grants) {
    if (g.path == path && g.account == account) return &g;
  }
  return nullptr;
}

TEST(Plan, AnonymousReadsPublicRootsAndNeverWrites) {
  const Plan plan = make_plan(two_sites());
  for (const Path p : {"/srv/shop/public", "/srv/blog/public", "/srv/media"}) {
    const Grant* g = find(plan, p, "gh-iusr");
    ASSERT_NE(g, nullptr) << p;
    EXPECT_EQ(g->rights, kReadList);
    EXPECT_EQ(g->scope, Scope::WholeTree);
    EXPECT_TRUE(g->inherit);
  }
  for (const auto& g : plan.grants) {
    if (g.account == "gh-iusr") {
      EXPECT_FALSE(g.rights.has(Rights::kModify)) << g.path;
    }
  }
}

TEST(Plan, PoolReadsItsApplicationAndModifiesWhatPhpIniNames) {
  const Plan plan = make_plan(two_sites());
  EXPECT_EQ(find(plan, "/srv/shop", "gh-pool-shop")->rights, kReadList);
  EXPECT_EQ(find(plan, "/srv/shop/data", "gh-pool-shop")->rights, kModifyAll);
  const Grant* log = find(plan, "/srv/shop/logs", "gh-pool-shop");
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->scope, Scope::ThisFolderAndFiles);
  EXPECT_EQ(log->reason, "folder of error_log in /srv/shop/php.ini");
  const Grant* sessions = find(plan, "/srv/blog/sessions", "gh-pool-blog");
  ASSERT_NE(sessions, nullptr);
  EXPECT_EQ(sessions->rights, kModifyAll);
  EXPECT_EQ(sessions->reason, "session.save_path in /srv/blog/php.ini");
  EXPECT_EQ(find(plan, "/usr/share/php", "gh-pool-blog")->reason, "include_path in /srv/blog/php.ini");
  EXPECT_EQ(find(plan, "/srv/blog/lib", "gh-pool-blog"), nullptr) << "inside app_root: already covered";
  EXPECT_EQ(find(plan, "/srv/media", "gh-pool-shop")->rights, kReadList) << "the vdir is served by the root pool";
  EXPECT_EQ(find(plan, "/srv/media", "gh-pool-blog"), nullptr);
}

TEST(Plan, TraverseOnEveryAncestorNotAlreadyReached) {
  const Plan plan = make_plan(two_sites());
  const Grant* srv = find(plan, "/srv", "gh-iusr");
  ASSERT_NE(srv, nullptr);
  EXPECT_EQ(srv->rights, kTraverseOnly);
  EXPECT_EQ(srv->scope, Scope::ThisFolderOnly);
  EXPECT_FALSE(srv->inherit);
  EXPECT_EQ(find(plan, "/srv/shop", "gh-iusr")->rights, kTraverseOnly);
  EXPECT_EQ(find(plan, "/srv/shop/public", "gh-pool-shop"), nullptr) << "inside the pool's read of /srv/shop";
  EXPECT_EQ(find(plan, "/", "gh-iusr"), nullptr);
  EXPECT_EQ(find(plan, "/usr", "gh-pool-blog")->rights, kTraverseOnly);
}

TEST(Plan, SharedDefaultsGetPerPoolFoldersAndANote) {
  const Plan plan = make_plan(two_sites());
  const Grant* uploads = find(plan, "/var/lib/gatehouse/pools/shop/uploads", "gh-pool-shop");
  ASSERT_NE(uploads, nullptr);
  EXPECT_EQ(uploads->rights, kModifyAll);
  ASSERT_NE(find(plan, "/var/lib/gatehouse/pools/shop/sessions", "gh-pool-shop"), nullptr);
  EXPECT_EQ(find(plan, "/tmp", "gh-pool-shop"), nullptr);
  EXPECT_EQ(find(plan, "/var/lib/php/sessions", "gh-pool-shop"), nullptr);
  ASSERT_EQ(plan.relocations.size(), 2u);
  EXPECT_EQ(plan.relocations[0].setting, "upload_tmp_dir");
  EXPECT_FALSE(plan.relocations[0].current.has_value());
  EXPECT_THAT(format_table(plan), HasSubstr("pool shop: upload_tmp_dir is /tmp (php's default), shared with other "
                                            "pools or accounts; set it to /var/lib/gatehouse/pools/shop/uploads in "
                                            "/srv/shop/php.ini"));
}

TEST(Plan, TwoPoolsNamingTheSameFolderAreBothMoved) {
  auto c = two_sites();
  c.pools[0].ini.session_save_path = "/srv/sessions";
  c.pools[1].ini.session_save_path = "/srv/sessions";
  const Plan plan = make_plan(c);
  EXPECT_EQ(find(plan, "/srv/sessions", "gh-pool-shop"), nullptr);
  EXPECT_EQ(find(plan, "/srv/sessions", "gh-pool-blog"), nullptr);
  EXPECT_NE(find(plan, "/var/lib/gatehouse/pools/blog/sessions", "gh-pool-blog"), nullptr);
}

TEST(Plan, ApplicationTreesAreClosedToGroupAndOther) {
  const Plan plan = make_plan(two_sites());
  std::vector<std::string> closed;
  for (const auto& c : plan.closed) closed.push_back(c.path.string());
  EXPECT_THAT(closed,
              ::testing::ElementsAre("/srv/blog", "/srv/media", "/srv/shop", "/var/lib/gatehouse/pools/shop/sessions",
                                     "/var/lib/gatehouse/pools/shop/uploads"));
}

TEST(Plan, UploadsMovedUnderAPublicRootMakeUploadTmpDirReadableToAnonymous) {
  auto c = two_sites();
  c.sites[0].applications[1].writable = {"/srv/blog/public/uploads"};
  const Plan plan = make_plan(c);
  const Grant* g = find(plan, "/srv/blog/tmp", "gh-iusr");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->rights, Rights{Rights::kRead});
  EXPECT_EQ(g->reason,
            "move_uploaded_file keeps upload_tmp_dir's ACL: writable /srv/blog/public/uploads is under "
            "public root /srv/blog/public");
  const Plan plain = make_plan(two_sites());
  EXPECT_EQ(find(plain, "/srv/blog/tmp", "gh-iusr"), nullptr)
      << "without such a folder the anonymous account only passes through";
}

TEST(Plan, PoolOnlySchemeGivesTheAnonymousAccountNothing) {
  const Plan plan = make_plan(two_sites(), PlanOptions{Scheme::PoolOnly});
  for (const auto& g : plan.grants) EXPECT_NE(g.account, "gh-iusr") << g.path;
  EXPECT_NE(find(plan, "/srv/media", "gh-pool-shop"), nullptr);
}

TEST(Plan, SiteSettingPicksTheSchemePerApplication) {
  auto c = two_sites();
  c.sites[0].applications[1].authentication.anonymous_user = config::AnonymousUser::Pool;
  const Plan plan = make_plan(c);
  EXPECT_NE(find(plan, "/srv/shop/public", "gh-iusr"), nullptr);
  EXPECT_EQ(find(plan, "/srv/blog/public", "gh-iusr"), nullptr);
}

TEST(Plan, ImpersonationWithTheAnonymousAccountIsNoted) {
  auto c = two_sites();
  c.pools[0].ini.fastcgi_impersonate = true;
  const Plan plan = make_plan(c);
  EXPECT_EQ(find(plan, "/srv/shop", "gh-iusr")->rights, kReadList);
  EXPECT_THAT(format_table(plan), HasSubstr("pool shop: fastcgi.impersonate=1 with the anonymous account gh-iusr"));
}

TEST(Plan, SpecificIdentityIsUsedAsIs) {
  auto c = two_sites();
  c.pools[1].identity = "www-blog";
  const Plan plan = make_plan(c);
  EXPECT_NE(find(plan, "/srv/blog", "www-blog"), nullptr);
  EXPECT_EQ(find(plan, "/srv/blog", "gh-pool-blog"), nullptr);
}

TEST(Plan, JsonCarriesEveryGrant) {
  const Plan plan = make_plan(two_sites());
  const auto json = to_json(plan);
  ASSERT_EQ(json["grants"].size(), plan.grants.size());
  EXPECT_EQ(json["grants"][0]["path"], plan.grants[0].path.string());
  EXPECT_EQ(json["relocations"][0]["current"], nullptr);
}

TEST(Rights, LinuxBits) {
  EXPECT_EQ(kReadList.folder_bits(), 05u);
  EXPECT_EQ(kReadList.file_bits(), 04u);
  EXPECT_EQ(kTraverseOnly.folder_bits(), 01u);
  EXPECT_EQ(kTraverseOnly.file_bits(), 0u);
  EXPECT_EQ(kModifyAll.folder_bits(), 07u);
  EXPECT_EQ(kModifyAll.file_bits(), 06u);
  EXPECT_EQ(Rights{Rights::kRead}.folder_bits(), 01u);
}

TEST(IsWithin, ComparesWholeComponents) {
  EXPECT_TRUE(is_within("/srv/shop/public", "/srv/shop"));
  EXPECT_TRUE(is_within("/srv/shop", "/srv/shop"));
  EXPECT_FALSE(is_within("/srv/shopping", "/srv/shop"));
  EXPECT_FALSE(is_within("/srv", "/srv/shop"));
}

}  // namespace
}  // namespace gatehouse::perms

namespace gatehouse::perms {
namespace {

config::RedisSessionStore redis(std::string prefix) {
  config::RedisSessionStore store;
  store.save_path = "tcp://10.0.0.9:6379?prefix=" + prefix;
  store.scheme = "tcp";
  store.host = "10.0.0.9";
  store.prefix = prefix;
  store.prefix_set = !prefix.empty();
  store.locking = true;
  return store;
}

TEST(Plan, SessionsInRedisGetNoFolder) {
  config::Config config = two_sites();
  config::Pool& blog = config.pools[1];
  ASSERT_EQ(blog.name, "blog");
  blog.ini.session_save_path.reset();
  blog.ini.redis_sessions = redis("blog:");
  const Plan plan = make_plan(config);
  EXPECT_EQ(find(plan, "/srv/blog/sessions", "gh-pool-blog"), nullptr);
  EXPECT_EQ(find(plan, "/var/lib/php/sessions", "gh-pool-blog"), nullptr) << "not PHP's default folder either";
  for (const auto& g : plan.grants)
    if (g.account == "gh-pool-blog") EXPECT_EQ(g.reason.find("session.save_path"), std::string::npos) << g.path;
  EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr(
                              "pool blog: sessions go to Redis tcp://10.0.0.9:6379 database 0, key prefix \"blog:\"")));
  for (const auto& r : plan.relocations) EXPECT_FALSE(r.pool == "blog" && r.setting == "session.save_path");
}

TEST(Plan, RedisRisksNameThePools) {
  config::Config config = two_sites();
  for (auto& pool : config.pools) {
    pool.ini.session_save_path.reset();
    pool.ini.redis_sessions = redis("");
  }
  config.pools[0].ini.redis_sessions->locking = false;
  const auto risks = config::session_store_risks(config);
  ASSERT_EQ(risks.size(), 2u);
  EXPECT_EQ(risks[0].key, "redis.session.locking_enabled");
  EXPECT_THAT(risks[0].message, HasSubstr("pool shop: phpredis session locking is off"));
  EXPECT_EQ(risks[1].key, "session.save_path");
  EXPECT_THAT(risks[1].message, HasSubstr("pools shop and blog keep sessions in one Redis database"));
  config.pools[1].ini.redis_sessions->prefix = "blog:";
  config.pools[1].ini.redis_sessions->prefix_set = true;
  EXPECT_EQ(config::session_store_risks(config).size(), 1u) << "distinct prefixes: no sharing";
}

}  // namespace
}  // namespace gatehouse::perms

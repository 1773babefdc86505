// GET /ready's verdict from known samples: ready, draining, a pool offline, both.
#include "admin/readiness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::admin {
namespace {

using ::testing::HasSubstr;

Sample with_pools(bool shop_offline) {
  Sample s;
  pool::PoolStats online, offline;
  offline.offline = shop_offline;
  offline.recent_failures = 3;
  s.pools.push_back({"blog", {{"gh-pool-blog", online}}});
  s.pools.push_back({"shop", {{"gh-pool-shop", online}, {"alice", offline}}});
  s.pools.push_back({"idle", {}});  // no worker started yet: not a reason
  return s;
}

TEST(Readiness, EveryPoolOnlineAndNotDrainingIsReady) { EXPECT_TRUE(not_ready(with_pools(false), false).empty()); }

TEST(Readiness, ADrainIsOneReason) {
  auto reasons = not_ready(with_pools(false), true);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_THAT(reasons[0], HasSubstr("draining"));
}

TEST(Readiness, AnOfflineWorkerSetNamesItsPoolAndAccount) {
  auto reasons = not_ready(with_pools(true), false);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_THAT(reasons[0], HasSubstr("pool shop (as alice): offline, rapid-fail protection (3 worker failures"));
}

TEST(Readiness, BothReasonsOneLineEach) {
  auto reasons = not_ready(with_pools(true), true);
  ASSERT_EQ(reasons.size(), 2u);
  for (const auto& r : reasons) EXPECT_EQ(r.find('\n'), std::string::npos) << r;
}

}  // namespace
}  // namespace gatehouse::admin

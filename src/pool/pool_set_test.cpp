// PoolSet: one worker set per configured pool, more per identity on demand,
// all stopped (and reaped) together.
#include "pool/pool_set.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pool/test_support.hpp"

namespace gatehouse::pool::test {
namespace {

TEST(PoolSet, BuildsOneSetPerPoolAndStopsThemAll) {
  TempDir tmp;
  config::Config config;
  config.server.state_dir = tmp.path();
  config.pools = {php_pool("shop"), php_pool("blog")};
  auto set = PoolSet::create(config, {});
  ASSERT_TRUE(set.has_value()) << set.error().message();
  ASSERT_NE((*set)->find("shop"), nullptr);
  ASSERT_NE((*set)->find("blog"), nullptr);
  EXPECT_EQ((*set)->find("nope"), nullptr);
  auto unknown = (*set)->get({"nope", ""});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message(), "get worker set nope failed: no such pool");

  auto impersonated = (*set)->get({"shop", "alice"});
  ASSERT_TRUE(impersonated.has_value());
  EXPECT_NE(*impersonated, (*set)->find("shop"));
  EXPECT_EQ(*(*set)->get({"shop", "alice"}), *impersonated);

  boost::asio::io_context caller;
  std::optional<AcquireResult> got;
  (*impersonated)->async_acquire(caller.get_executor(), [&](AcquireResult r) { got.emplace(std::move(r)); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    caller.restart();  // run_for returns at once, and stays stopped, while nothing is queued
    caller.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(got && got->has_value());
  pid_t pid = (*got)->pid();
  EXPECT_TRUE(fs::exists(tmp.path() / "sockets" / "shop.alice-1.sock"));
  (*got)->release();

  (*set)->stop();
  // The child is php-cgi's to reap; one its parent had no time to reap before
  // it ended is init's.
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }));
  EXPECT_TRUE(zombie_children().empty());
}

TEST(PoolSet, RefusesASocketFolderOthersCanEnter) {
  TempDir tmp;
  fs::create_directory(tmp.path() / "sockets");
  fs::permissions(tmp.path() / "sockets", fs::perms(0711));
  config::Config config;
  config.server.state_dir = tmp.path();
  auto set = PoolSet::create(config, {});
  ASSERT_FALSE(set.has_value());
  EXPECT_THAT(set.error().message(), ::testing::HasSubstr("must be 0700"));
}

}  // namespace
}  // namespace gatehouse::pool::test

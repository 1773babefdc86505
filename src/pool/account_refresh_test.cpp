// The pool's account is resolved again before every instance: an account
// deleted under a running pool fails it (502, a rapid failure), never a worker
// that runs as root or as the account's stale uid; a renumbered one gets a
// new php-cgi parent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "accounts/test_support.hpp"
#include "pool/pool_set.hpp"
#include "pool/test_support.hpp"

namespace gatehouse::pool::test {
namespace {

using ::testing::HasSubstr;

// What accounts/ answers for a name that no longer exists.
Error no_such_account(const std::string& name) {
  Error e = Error::sys("look up account", name, ENOENT);
  e.context = "[pool t]";
  return e;
}

TEST(AccountRefresh, AVanishedAccountFailsEachSpawnAndTakesThePoolOffline) {
  std::atomic<bool> gone = false;
  std::atomic<int> lookups = 0;
  PoolOptions options;
  options.prestart = false;
  options.resolve_credentials = [&]() -> Result<accounts::Identity> {
    ++lookups;
    if (gone) return std::unexpected(no_such_account("gh-pool-t"));
    return accounts::Identity{};  // the test's own account: no root needed
  };
  auto pool = php_pool();
  pool.fastcgi.instance_max_requests = 1;
  pool.fastcgi.rapid_fails_per_minute = 3;
  Harness h;
  auto& wp = h.make_pool(pool, options, accounts::Identity{});
  auto hello = h.dir.write("hello.php", "<?php echo 'hello';");

  auto first = h.acquire(wp);
  ASSERT_TRUE(first.has_value()) << first.error().error.message();
  EXPECT_EQ(body_of(run_php(*first, hello).value_or("")), "hello");
  pid_t pid = first->pid();
  EXPECT_EQ(lookups.load(), 1);
  gone = true;
  first->release();  // used up (instance_max_requests = 1): retired, and its replacement fails
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid) && lookups.load() == 2; }));
  EXPECT_TRUE(wait_until([&] { return wp.stats().failures == 1; }));

  auto second = h.acquire(wp);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().reason, AcquireFailure::StartFailed);
  EXPECT_EQ(second.error().http_status(), 502);
  EXPECT_EQ(second.error().error.message(), "[pool t] resolve account gh-pool-t failed: no such account");
  EXPECT_EQ(lookups.load(), 3);
  EXPECT_EQ(wp.stats().failures, 2u);
  EXPECT_EQ(wp.stats().spawned, 1u);  // nothing was started for either
  EXPECT_TRUE(wp.stats().pids.empty());

  // The third failure within the minute takes the pool offline, and the
  // waiting request with it.
  auto third = h.acquire(wp);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().reason, AcquireFailure::Offline);
  EXPECT_EQ(lookups.load(), 4);
  auto fourth = h.acquire(wp);
  ASSERT_FALSE(fourth.has_value());
  EXPECT_EQ(fourth.error().reason, AcquireFailure::Offline);
  EXPECT_EQ(fourth.error().http_status(), 503);
  EXPECT_TRUE(wp.stats().offline);
  EXPECT_EQ(lookups.load(), 4);  // offline: not even looked up
  EXPECT_EQ(wp.stats().failures, 3u);
}

TEST(AccountRefresh, OtherLookupFailuresKeepTheirCause) {
  PoolOptions options;
  options.resolve_credentials = []() -> Result<accounts::Identity> {
    return std::unexpected(Error::logic("run worker as", "root", "uid 0 is refused"));
  };
  Harness h;
  auto& wp = h.make_pool(php_pool(), options, accounts::Identity{"root", 0, 0, {}});
  auto lease = h.acquire(wp);
  ASSERT_FALSE(lease.has_value());
  EXPECT_EQ(lease.error().error.message(),
            "[pool t] resolve account root failed: run worker as root failed: uid 0 is refused");
  EXPECT_TRUE(wp.stats().pids.empty());
}

// As serve's resolver does: the account's current uid, gid and groups.
Result<accounts::Identity> resolve_account(const std::string& name) {
  auto id = accounts::resolve_identity(name);
  if (!id) return std::unexpected(id.error());
  return *id;
}

uid_t real_uid(pid_t pid) {
  std::istringstream status(slurp(fs::path("/proc") / std::to_string(pid) / "status"));
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
  return static_cast<uid_t>(-1);
}

// Through PoolSet, with a real account that vanishes under the running set
// (userdel itself refuses while the set's php-cgi parent runs as it; an
// administrator's `userdel -f` does not).
TEST(AccountRefresh, PoolSetStopsSpawningForADeletedAccount) {
  if (::geteuid() != 0) {
    if (std::getenv("CI")) FAIL() << "needs root, and CI runs as root";
    GTEST_SKIP() << "needs root";
  }
  accounts::testing::TestAccount account("gh-tref-");
  TempDir tmp;
  config::Config config;
  config.server.state_dir = tmp.path();
  auto pool = php_pool("shop");
  pool.fastcgi.instance_max_requests = 1;
  config.pools = {pool};
  std::atomic<bool> gone = false;
  PoolSetOptions options;
  options.resolve = [&](const config::Pool&, const std::string&) -> Result<accounts::Identity> {
    if (gone) return std::unexpected(no_such_account(account.name()));
    return resolve_account(account.name());
  };
  auto set = PoolSet::create(config, options);
  ASSERT_TRUE(set.has_value()) << set.error().message();
  WorkerPool* wp = (*set)->find("shop");
  ASSERT_NE(wp, nullptr);

  boost::asio::io_context caller;
  auto acquire = [&] {
    std::optional<AcquireResult> got;
    wp->async_acquire(caller.get_executor(), [&](AcquireResult r) { got.emplace(std::move(r)); });
    auto end = std::chrono::steady_clock::now() + 10s;
    while (!got && std::chrono::steady_clock::now() < end) {
      caller.restart();
      caller.run_for(10ms);
    }
    if (!got) throw std::runtime_error("acquire timed out");
    return std::move(*got);
  };
  auto first = acquire();
  ASSERT_TRUE(first.has_value()) << first.error().error.message();
  pid_t pid = first->pid();
  EXPECT_EQ(real_uid(pid), account.identity().uid);
  gone = true;
  first->release();
  ASSERT_TRUE(wait_until([&] { return !process_exists(pid); }));
  ASSERT_TRUE(wait_until([&] { return wp->stats().failures == 1; }));  // its replacement

  auto second = acquire();
  ASSERT_FALSE(second.has_value()) << "a worker started as pid " << second->pid();
  EXPECT_EQ(second.error().http_status(), 502);
  EXPECT_EQ(second.error().error.message(),
            "[pool shop] resolve account " + account.name() + " failed: no such account");
  EXPECT_TRUE(wp->stats().pids.empty());
  EXPECT_EQ(wp->stats().failures, 2u);
  (*set)->stop();
}

}  // namespace
}  // namespace gatehouse::pool::test

// Creating and removing real accounts from a configuration (runs as root).
#include "accounts/provision.hpp"

#include <gtest/gtest.h>
#include <shadow.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "accounts/credentials.hpp"
#include "accounts/names.hpp"
#include "accounts/test_support.hpp"

namespace gatehouse::accounts {
namespace {

namespace fs = std::filesystem;
using testing::AccountCleanup;
using testing::random_account_name;

config::Pool make_pool(std::string name, std::string identity = "ApplicationPoolIdentity") {
  config::Pool pool;
  pool.name = std::move(name);
  pool.identity = std::move(identity);
  return pool;
}

class ProvisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gh-provision-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.server.state_dir = dir_;
    // Random pool names so parallel runs never meet; cleanup registered first
    // so a failing test still removes what it created.
    pool_a_ = random_account_name("ta");
    pool_b_ = random_account_name("tb");
    cleanup_.add(pool_account_name(pool_a_));
    cleanup_.add(pool_account_name(pool_b_));
    config_.accounts.anonymous = cleanup_.add(random_account_name("gh-tiusr-"));
    config_.pools = {make_pool(pool_a_), make_pool(pool_b_)};
  }
  void TearDown() override { fs::remove_all(dir_); }

  Registry registry() {
    auto reg = Registry::load(Registry::file_in(dir_));
    EXPECT_TRUE(reg) << reg.error().message();
    return std::move(*reg);
  }

  AccountCleanup cleanup_;
  fs::path dir_;
  std::string pool_a_, pool_b_;
  config::Config config_;
};

void expect_service_account(const Identity& id) {
  EXPECT_NE(id.uid, 0u);
  EXPECT_EQ(id.shell, "/usr/sbin/nologin");
  EXPECT_EQ(id.home, "/nonexistent");
  EXPECT_FALSE(fs::exists("/nonexistent"));
  auto group = find_group(id.name);  // a group of its own, its primary group
  ASSERT_TRUE(group && *group) << id.name;
  EXPECT_EQ(**group, id.gid);
  const spwd* sp = ::getspnam(id.name.c_str());  // no usable password
  ASSERT_NE(sp, nullptr);
  EXPECT_TRUE(sp->sp_pwdp[0] == '!' || sp->sp_pwdp[0] == '*') << sp->sp_pwdp;
}

TEST_F(ProvisionTest, CreatesPoolAndAnonymousAccountsOnceAndRecordsThem) {
  auto reg = registry();
  auto set = ensure_accounts(config_, reg);
  ASSERT_TRUE(set) << set.error().message();
  ASSERT_EQ(set->created.size(), 3u);
  const Identity* a = set->pool(pool_a_);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "gh-pool-" + pool_a_);
  expect_service_account(*a);
  expect_service_account(*set->pool(pool_b_));
  expect_service_account(set->anonymous);
  EXPECT_EQ(set->anonymous.name, config_.accounts.anonymous);

  auto saved = registry();  // what is on disk, not the in-memory copy
  ASSERT_EQ(saved.entries().size(), 3u);
  const RegistryEntry* entry = saved.find(a->name);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->uid, a->uid);
  EXPECT_EQ(entry->gid, a->gid);
  EXPECT_EQ(entry->role, Role::Pool);
  EXPECT_EQ(entry->pool, pool_a_);
  EXPECT_EQ(saved.find(config_.accounts.anonymous)->role, Role::Anonymous);

  auto again = ensure_accounts(config_, saved);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(again->created.empty());
  EXPECT_EQ(again->pool(pool_a_)->uid, a->uid);
}

TEST_F(ProvisionTest, ExplicitIdentityMustExist) {
  config_.pools[1].identity = "gh-no-such-account-x";
  auto reg = registry();
  auto set = ensure_accounts(config_, reg);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().message(), "[pool " + pool_b_ +
                                       "] look up account gh-no-such-account-x failed: identity = "
                                       "\"gh-no-such-account-x\" names no existing account");
}

TEST_F(ProvisionTest, ExplicitIdentityIsUsedNotRegistered) {
  testing::TestAccount existing;
  config_.pools[1].identity = existing.name();
  auto reg = registry();
  auto set = ensure_accounts(config_, reg);
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->pool(pool_b_)->uid, existing.identity().uid);
  EXPECT_EQ(registry().find(existing.name()), nullptr);
}

TEST_F(ProvisionTest, RootIdentityIsRefused) {
  config_.pools[0].identity = "root";
  auto set = resolve_accounts(config_);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message().find("[pool " + pool_a_ + "] use account root failed"), std::string::npos)
      << set.error().message();
}

TEST_F(ProvisionTest, RemoveUnusedDeletesOnlyRegisteredAccountsNoLongerUsed) {
  testing::TestAccount foreign;  // exists, unused, but not ours: must survive
  auto reg = registry();
  auto set = ensure_accounts(config_, reg);
  ASSERT_TRUE(set) << set.error().message();
  const std::string gone = pool_account_name(pool_b_);

  config_.pools.pop_back();
  auto report = remove_unused(config_, reg);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->failed.empty());
  EXPECT_EQ(report->removed, std::vector<std::string>{gone});
  EXPECT_FALSE(*account_exists(gone));
  EXPECT_FALSE(*find_group(gone));
  EXPECT_TRUE(*account_exists(foreign.name()));
  EXPECT_TRUE(*account_exists(pool_account_name(pool_a_)));
  auto saved = registry();
  EXPECT_EQ(saved.find(gone), nullptr);
  EXPECT_EQ(saved.entries().size(), 2u);
}

TEST_F(ProvisionTest, RemoveLeavesAnAccountWhoseUidChanged) {
  auto reg = registry();
  ASSERT_TRUE(ensure_accounts(config_, reg));
  RegistryEntry entry = *reg.find(pool_account_name(pool_b_));
  entry.uid += 1;  // as if deleted and recreated by someone else
  reg.put(entry);
  config_.pools.pop_back();
  auto report = remove_unused(config_, reg);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->removed.empty());
  ASSERT_EQ(report->failed.size(), 1u);
  EXPECT_NE(report->failed[0].message().find("left alone"), std::string::npos);
  EXPECT_TRUE(*account_exists(entry.name));
  EXPECT_NE(reg.find(entry.name), nullptr);
}

TEST_F(ProvisionTest, CreatingWithoutRootIsRefusedClearly) {
  testing::TestAccount unprivileged;
  const Identity& id = unprivileged.identity();
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);  // the registry is readable, not writable
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!drop_privileges(id.uid, id.gid, id.groups.data(), id.groups.size()).ok()) ::_exit(3);
    auto reg = Registry::load(Registry::file_in(dir_));
    if (!reg) ::_exit(4);
    auto set = ensure_accounts(config_, *reg);
    if (set) ::_exit(1);
    const bool clear = set.error().errnum == EPERM &&
                       set.error().message() == "[pool " + pool_a_ + "] create account gh-pool-" + pool_a_ +
                                                    " failed: Operation not permitted: run as root, or serve "
                                                    "--single-user";
    ::_exit(clear ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: created as non-root, 2: unclear error, 3/4: set-up";
  EXPECT_FALSE(*account_exists(pool_account_name(pool_a_)));
}

TEST(PlanAccounts, RefusesCollisions) {
  config::Config config;
  config.pools = {make_pool("shop"), make_pool("blog", "gh-pool-shop")};
  auto plan = plan_accounts(config);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message(),
            "[pool shop] assign account gh-pool-shop failed: pool 'shop' and pool 'blog' (identity) would both "
            "use it; rename one of them");

  config.pools = {make_pool("shop")};
  config.accounts.anonymous = "gh-pool-shop";
  EXPECT_FALSE(plan_accounts(config));

  config.accounts.anonymous = "gh-iusr";
  config.pools = {make_pool("shop", "gh-iusr")};
  EXPECT_FALSE(plan_accounts(config));
}

TEST(PlanAccounts, PoolsMayShareAnExistingAccount) {
  config::Config config;
  config.pools = {make_pool("shop", "www-data"), make_pool("blog", "www-data"), make_pool("Shop")};
  auto plan = plan_accounts(config);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[2].account, pool_account_name("Shop"));
  EXPECT_TRUE((*plan)[2].auto_created);
  EXPECT_FALSE((*plan)[0].auto_created);
  EXPECT_EQ((*plan)[3].role, Role::Anonymous);
  EXPECT_EQ((*plan)[3].account, "gh-iusr");
}

TEST(PlanAccounts, RefusesAnInvalidAnonymousName) {
  config::Config config;
  config.accounts.anonymous = "IUSR";
  auto plan = plan_accounts(config);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("[accounts.anonymous] assign account IUSR failed: not a valid"),
            std::string::npos)
      << plan.error().message();
}

TEST(UsersOf, NamesPoolsAndAnonymous) {
  config::Config config;
  config.pools = {make_pool("shop"), make_pool("a", "www-data"), make_pool("b", "www-data")};
  EXPECT_EQ(users_of(config, "gh-pool-shop"), std::vector<std::string>{"pool shop"});
  EXPECT_EQ(users_of(config, "www-data"), (std::vector<std::string>{"pool a", "pool b"}));
  EXPECT_EQ(users_of(config, "gh-iusr"), std::vector<std::string>{"anonymous"});
  EXPECT_TRUE(users_of(config, "gh-pool-old").empty());
}

}  // namespace
}  // namespace gatehouse::accounts

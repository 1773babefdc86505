// Pinned uids and gids with real accounts (runs as root): created with the
// pinned ids, and every clash refused with a message naming the holder.
#include "accounts/provision_ids.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "accounts/names.hpp"
#include "accounts/provision.hpp"
#include "accounts/test_support.hpp"

namespace gatehouse::accounts {
namespace {

namespace fs = std::filesystem;
using testing::AccountCleanup;
using testing::random_account_name;

// A uid and gid both free on this machine, from a range useradd never picks
// by itself (system accounts go below 1000, users from 1000 up to 60000).
std::uint32_t free_id(std::uint32_t from) {
  for (std::uint32_t id = from; id < from + 900; ++id)
    if (::getpwuid(id) == nullptr && ::getgrgid(id) == nullptr) return id;
  return 0;
}

class PinnedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creates accounts: needs root";
    char tmpl[] = "/tmp/gh-pinned-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.server.state_dir = dir_;
    pool_ = random_account_name("tp");
    cleanup_.add(pool_account_name(pool_));
    config_.accounts.anonymous = cleanup_.add(random_account_name("gh-tiusr-"));
    config::Pool pool;
    pool.name = pool_;
    config_.pools = {pool};
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<AccountSet> ensure() {
    auto reg = Registry::load(Registry::file_in(dir_));
    EXPECT_TRUE(reg);
    return ensure_accounts(config_, *reg);
  }

  AccountCleanup cleanup_;
  fs::path dir_;
  std::string pool_;
  config::Config config_;
};

TEST_F(PinnedTest, AccountsAreCreatedWithThePinnedIds) {
  const std::uint32_t id = free_id(61000 + static_cast<std::uint32_t>(::getpid() % 50) * 10);
  ASSERT_NE(id, 0u);
  config_.pools[0].uid = id;
  config_.pools[0].gid = id;
  const std::uint32_t anon = free_id(id + 1);
  config_.accounts.anonymous_uid = anon;
  auto set = ensure();
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->pool(pool_)->uid, id);
  EXPECT_EQ(set->pool(pool_)->gid, id);
  EXPECT_EQ(*find_group(pool_account_name(pool_)), std::optional<gid_t>{id}) << "its own group, with the pinned gid";
  EXPECT_EQ(set->anonymous.uid, anon);
  // Idempotent: the second run finds them as pinned.
  auto again = ensure();
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(again->created.empty());
  const auto report = pinned_report(config_);
  EXPECT_EQ(report.clashes, 0u);
  ASSERT_EQ(report.lines.size(), 2u);
  EXPECT_NE(report.lines[0].find("): ok"), std::string::npos) << report.lines[0];
}

TEST_F(PinnedTest, AUidHeldByAnotherNameIsRefused) {
  config_.pools[0].uid = 1;  // daemon, on every Debian system
  auto set = ensure();
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().context, "[pool " + pool_ + "]");
  EXPECT_NE(set.error().detail.find("uid 1 is pinned for gh-pool-" + pool_ + " but belongs to account daemon"),
            std::string::npos)
      << set.error().message();
  EXPECT_FALSE(*account_exists(pool_account_name(pool_))) << "nothing created on a clash";
  const auto report = pinned_report(config_);
  EXPECT_EQ(report.clashes, 1u);
  EXPECT_NE(report.lines[0].find("CLASH: uid 1 is pinned"), std::string::npos) << report.lines[0];
}

TEST_F(PinnedTest, AGidHeldByAnotherGroupIsRefused) {
  const std::uint32_t id = free_id(62000 + static_cast<std::uint32_t>(::getpid() % 50) * 10);
  config_.pools[0].uid = id;
  config_.pools[0].gid = 0 + static_cast<std::uint32_t>(::getgrnam("daemon")->gr_gid);
  auto set = ensure();
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().detail.find("but belongs to group daemon"), std::string::npos) << set.error().message();
}

TEST_F(PinnedTest, AnExistingAccountWithOtherIdsIsRefused) {
  auto first = ensure();  // created with whatever ids useradd picks
  ASSERT_TRUE(first) << first.error().message();
  const std::uint32_t other = free_id(63000 + static_cast<std::uint32_t>(::getpid() % 50) * 10);
  config_.pools[0].uid = other;
  auto set = ensure();
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().detail.find("exists with uid " + std::to_string(first->pool(pool_)->uid)), std::string::npos)
      << set.error().message();
  EXPECT_NE(set.error().detail.find("pins uid " + std::to_string(other)), std::string::npos);
}

TEST(Pinned, OnlyThePoolsOwnAccountIsPinned) {
  config::Pool pool;
  pool.uid = 5000;
  EXPECT_EQ(pinned_for_pool(pool).uid, std::optional<uid_t>{5000});
  pool.identity = "www-data";
  EXPECT_FALSE(pinned_for_pool(pool).any());
}

}  // namespace
}  // namespace gatehouse::accounts

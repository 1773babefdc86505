// check_spawn: what a hostile front may and may not get a worker for.
#include "supervisor/spawn_check.hpp"

#include <gtest/gtest.h>

namespace gatehouse::supervisor {
namespace {

class SpawnCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Pool shop;
    shop.name = "shop";
    shop.identity = "gh-shop";
    config::Pool wiki;
    wiki.name = "wiki";
    wiki.identity = "gh-wiki";
    wiki.ini.fastcgi_impersonate = true;
    config_.pools = {shop, wiki};
    rules_.config = &config_;
    rules_.allowed = {{"shop", "gh-shop"}, {"wiki", "gh-wiki"}};
    rules_.uid_of = [](const std::string& name) -> std::optional<uid_t> {
      if (name == "gh-shop") return 2001;
      if (name == "gh-wiki") return 2002;
      if (name == "alice") return 3000;
      if (name == "toor") return 0;
      return std::nullopt;
    };
  }
  Spawn spawn(std::uint32_t pool, std::uint32_t uid, const char* account) {
    Spawn s;
    s.pool = pool;
    s.uid = uid;
    put(s.account, account);
    return s;
  }
  Result<accounts::WorkerKey> check(const Spawn& s) { return check_spawn(rules_, s); }

  config::Config config_;
  SpawnRules rules_;
};

TEST_F(SpawnCheckTest, TheConfiguredWorkerSetsAreGranted) {
  auto key = check(spawn(0, 2001, "gh-shop"));
  ASSERT_TRUE(key.has_value()) << key.error().message();
  EXPECT_EQ(key->pool, "shop");
  EXPECT_EQ(key->account, "gh-shop");
}

TEST_F(SpawnCheckTest, APoolIndexOutOfRangeIsRefused) {
  auto r = check(spawn(2, 2001, "gh-shop"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errnum, EPERM);
  EXPECT_NE(r.error().message().find("out of range"), std::string::npos);
  EXPECT_FALSE(check(spawn(0xffffffffu, 2001, "gh-shop")).has_value());
}

TEST_F(SpawnCheckTest, RootIsRefusedByUidAndByAnAccountThatIsUidZero) {
  EXPECT_FALSE(check(spawn(0, 0, "gh-shop")).has_value());
  EXPECT_FALSE(check(spawn(0, 0, "root")).has_value());
  rules_.allowed.insert({"shop", "toor"});  // even a configured account is refused when it is uid 0
  EXPECT_FALSE(check(spawn(0, 0, "toor")).has_value());
  EXPECT_FALSE(check(spawn(0, 5, "toor")).has_value());
}

TEST_F(SpawnCheckTest, AnotherPoolsAccountIsRefused) { EXPECT_FALSE(check(spawn(0, 2002, "gh-wiki")).has_value()); }

TEST_F(SpawnCheckTest, AUidThatIsNotTheAccountsIsRefused) {
  EXPECT_FALSE(check(spawn(0, 2002, "gh-shop")).has_value());
}

TEST_F(SpawnCheckTest, AnAuthenticatedUserOnlyAfterPamAndOnlyWithImpersonation) {
  EXPECT_FALSE(check(spawn(1, 3000, "alice")).has_value());  // PAM never said alice
  rules_.authenticated.insert("alice");
  EXPECT_TRUE(check(spawn(1, 3000, "alice")).has_value());
  EXPECT_FALSE(check(spawn(0, 3000, "alice")).has_value());  // shop does not impersonate
}

TEST_F(SpawnCheckTest, AnEmptyOrUnknownAccountIsRefused) {
  EXPECT_FALSE(check(spawn(0, 2001, "")).has_value());
  rules_.allowed.insert({"shop", "ghost"});
  EXPECT_FALSE(check(spawn(0, 2001, "ghost")).has_value());
}

}  // namespace
}  // namespace gatehouse::supervisor

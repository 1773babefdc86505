// Pool account names: Linux's rules, stable hashes, no collisions.
#include "accounts/names.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gatehouse::accounts {
namespace {

TEST(PoolAccountName, PlainNameIsPrefixed) {
  EXPECT_EQ(pool_account_name("shop"), "gh-pool-shop");
  EXPECT_EQ(pool_account_name("blog_2-x"), "gh-pool-blog_2-x");
}

TEST(PoolAccountName, ChangedNameGetsStableHashSuffix) {
  const std::string name = pool_account_name("Shop");
  EXPECT_EQ(name.rfind("gh-pool-shop-", 0), 0u) << name;
  EXPECT_EQ(name.size(), std::string("gh-pool-shop-").size() + 6);
  EXPECT_NE(name, pool_account_name("shop"));
  // Stable across runs, builds and machines: existing accounts depend on it.
  EXPECT_EQ(name, "gh-pool-shop-fe97e9");
  EXPECT_EQ(pool_account_name("Shop"), name);
}

TEST(PoolAccountName, InvalidCharactersAreReplaced) {
  const std::string name = pool_account_name("My Shop.de/ü");
  EXPECT_TRUE(is_valid_account_name(name)) << name;
  EXPECT_EQ(name.rfind("gh-pool-my-shop-de-", 0), 0u) << name;
  EXPECT_NE(pool_account_name("My Shop"), pool_account_name("My-Shop"));
}

TEST(PoolAccountName, LongNamesAreShortenedAndStayDistinct) {
  const std::string a = pool_account_name("a-very-long-application-pool-name-number-1");
  const std::string b = pool_account_name("a-very-long-application-pool-name-number-2");
  EXPECT_EQ(a.size(), kMaxAccountNameLength);
  EXPECT_EQ(b.size(), kMaxAccountNameLength);
  EXPECT_NE(a, b);
  // 24 characters fit exactly without a hash.
  EXPECT_EQ(pool_account_name("abcdefghijklmnopqrstuvwx"), "gh-pool-abcdefghijklmnopqrstuvwx");
  EXPECT_EQ(pool_account_name("abcdefghijklmnopqrstuvwxy").size(), kMaxAccountNameLength);
}

TEST(PoolAccountName, EveryResultIsAValidDistinctAccountName) {
  const std::vector<std::string> pools = {"shop",          "Shop", "SHOP", "",    " ",    "-",  "_x",
                                          "123",           "a b",  "a_b",  "a-b", "café", "\n", std::string(200, 'z'),
                                          "DefaultAppPool"};
  std::set<std::string> seen;
  for (const auto& pool : pools) {
    const std::string name = pool_account_name(pool);
    EXPECT_TRUE(is_valid_account_name(name)) << "'" << pool << "' -> '" << name << "'";
    EXPECT_TRUE(seen.insert(name).second) << "collision for '" << pool << "': " << name;
  }
}

TEST(IsValidAccountName, FollowsLinuxRules) {
  EXPECT_TRUE(is_valid_account_name("gh-iusr"));
  EXPECT_TRUE(is_valid_account_name("_svc"));
  EXPECT_TRUE(is_valid_account_name(std::string(32, 'a')));
  EXPECT_FALSE(is_valid_account_name(""));
  EXPECT_FALSE(is_valid_account_name(std::string(33, 'a')));
  EXPECT_FALSE(is_valid_account_name("1abc"));
  EXPECT_FALSE(is_valid_account_name("-abc"));
  EXPECT_FALSE(is_valid_account_name("Abc"));
  EXPECT_FALSE(is_valid_account_name("a.b"));
  EXPECT_FALSE(is_valid_account_name("a b"));
}

TEST(PoolAccount, ExplicitIdentityIsUsedAsIs) {
  config::Pool pool;
  pool.name = "shop";
  EXPECT_EQ(pool_account(pool), "gh-pool-shop");
  pool.identity = "www-data";
  EXPECT_EQ(pool_account(pool), "www-data");
}

}  // namespace
}  // namespace gatehouse::accounts

// Account look-ups against the real user database.
#include "accounts/identity.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "accounts/test_support.hpp"

namespace gatehouse::accounts {
namespace {

bool has_group(const Identity& id, gid_t gid) {
  return std::find(id.groups.begin(), id.groups.end(), gid) != id.groups.end();
}

TEST(ResolveIdentity, Root) {
  auto id = resolve_identity("root");
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->uid, 0u);
  EXPECT_EQ(id->gid, 0u);
  EXPECT_TRUE(has_group(*id, 0));
  auto by_uid = resolve_identity(uid_t{0});
  ASSERT_TRUE(by_uid);
  EXPECT_EQ(by_uid->name, "root");
}

TEST(ResolveIdentity, MissingAccountIsENOENT) {
  auto id = resolve_identity("gh-no-such-account-x");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().errnum, ENOENT);
  EXPECT_EQ(id.error().message(), "look up account gh-no-such-account-x failed: No such file or directory");
  auto exists = account_exists("gh-no-such-account-x");
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST(ResolveIdentity, SupplementaryGroupsComeFromTheGroupDatabase) {
  testing::TestAccount account;
  testing::TestGroup group;
  group.add_member(account.name());
  auto id = resolve_identity(account.name());
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->uid, account.identity().uid);
  EXPECT_TRUE(has_group(*id, id->gid));
  EXPECT_TRUE(has_group(*id, group.gid()));
  EXPECT_FALSE(has_group(account.identity(), group.gid()));  // resolved before it joined
  auto gid = find_group(group.name());
  ASSERT_TRUE(gid && *gid);
  EXPECT_EQ(**gid, group.gid());
}

}  // namespace
}  // namespace gatehouse::accounts

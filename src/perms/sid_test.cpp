// Pool SIDs as Windows computes them.
#include "perms/sid.hpp"

#include <gtest/gtest.h>

namespace gatehouse::perms {
namespace {

TEST(Sid, DefaultAppPoolMatchesWindows) {
  EXPECT_EQ(app_pool_sid("DefaultAppPool"), "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415");
}

TEST(Sid, CaseDoesNotMatter) { EXPECT_EQ(app_pool_sid("DEFAULTAPPPOOL"), app_pool_sid("defaultapppool")); }

TEST(Sid, DifferentPoolsDiffer) { EXPECT_NE(app_pool_sid("shop"), app_pool_sid("blog")); }

}  // namespace
}  // namespace gatehouse::perms

// --path-map: longest prefix, case-insensitive on the Windows side, and the
// paths it refuses to guess.
#include "iis/path_map.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::iis {
namespace {

using ::testing::HasSubstr;

PathMap two_maps() {
  PathMap m;
  EXPECT_TRUE(m.add(R"(C:\inetpub=/srv/inetpub)"));
  EXPECT_TRUE(m.add(R"(c:\INETPUB\wwwroot\=/srv/www)"));
  return m;
}

TEST(PathMap, LongestPrefixWinsCaseInsensitively) {
  const auto m = two_maps();
  EXPECT_EQ(m.map(R"(C:\Inetpub\WWWRoot\Shop\Public)").value(), "/srv/www/Shop/Public");
  EXPECT_EQ(m.map(R"(C:\inetpub\logs)").value(), "/srv/inetpub/logs");
  EXPECT_EQ(m.map(R"(C:\inetpub)").value(), "/srv/inetpub");
}

TEST(PathMap, WholeSegmentsOnly) {
  const auto m = two_maps();
  EXPECT_EQ(m.map(R"(C:\inetpub\wwwroot2\x)").value(), "/srv/inetpub/wwwroot2/x");
  EXPECT_FALSE(m.map(R"(C:\inetpubs\x)"));
}

TEST(PathMap, SlashesAndVariables) {
  PathMap m;
  ASSERT_TRUE(m.add(R"(%SystemDrive%\inetpub\wwwroot=/srv/www)"));
  EXPECT_EQ(m.map(R"(C:/inetpub//wwwroot\a\)").value(), "/srv/www/a");
  EXPECT_EQ(m.map(R"(%SYSTEMDRIVE%\inetpub\wwwroot\b)").value(), "/srv/www/b");
  EXPECT_THAT(m.map(R"(%SITES%\b)").error(), HasSubstr("unknown environment variable %SITES%"));
}

TEST(PathMap, DotDotIsRefused) {
  const auto m = two_maps();
  EXPECT_THAT(m.map(R"(C:\inetpub\wwwroot\..\..\Windows)").error(), HasSubstr("a '..' segment"));
  PathMap bad;
  EXPECT_FALSE(bad.add("C:\\x=/srv/../etc"));
}

TEST(PathMap, RootMapsJoinCleanly) {
  PathMap m;
  ASSERT_TRUE(m.add(R"(C:\inetpub\gatehouse=/)"));
  EXPECT_EQ(m.map(R"(C:\inetpub\gatehouse\srv\shop)").value(), "/srv/shop");
  EXPECT_EQ(m.map(R"(C:\inetpub\gatehouse)").value(), "/");
}

TEST(PathMap, UncSharesAreReportedUnlessMapped) {
  PathMap m;
  EXPECT_THAT(m.map(R"(\\fileserver\web\shop)").error(), HasSubstr("UNC path"));
  ASSERT_TRUE(m.add(R"(\\FileServer\web=/mnt/web)"));
  EXPECT_EQ(m.map(R"(\\fileserver\web\shop)").value(), "/mnt/web/shop");
}

TEST(PathMap, BadSpecsSayTheShape) {
  PathMap m;
  EXPECT_THAT(m.add("C:\\x").error(), HasSubstr("expected WINDOWS=LINUX"));
  EXPECT_THAT(m.add("C:\\x=srv").error(), HasSubstr("expected WINDOWS=LINUX"));
  EXPECT_THAT(m.map("relative\\path").error(), HasSubstr("not an absolute Windows path"));
}

}  // namespace
}  // namespace gatehouse::iis

// The Windows export of a fixed configuration against its golden file
// (GH_UPDATE_GOLDEN=1 rewrites the golden file after a deliberate change).
#include "perms/export_windows.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "perms/test_config.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::HasSubstr;

std::string golden_path(const std::string& name) { return std::string(GH_SOURCE_DIR) + "/src/perms/testdata/" + name; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string two_sites_script() {
  const auto config = testing_support::two_sites();
  return export_windows(config, make_plan(config), WindowsExportOptions{});
}

TEST(ExportWindows, MatchesGoldenFile) {
  const std::string script = two_sites_script();
  const std::string path = golden_path("two_sites.cmd");
  if (std::getenv("GH_UPDATE_GOLDEN") != nullptr) std::ofstream(path, std::ios::binary) << script;
  EXPECT_EQ(script, read_file(path)) << "regenerate with GH_UPDATE_GOLDEN=1 after a deliberate change";
}

TEST(ExportWindows, PoolsUseTheirVirtualAccountsAndSids) {
  const std::string script = two_sites_script();
  EXPECT_THAT(script, HasSubstr("/processModel.identityType:ApplicationPoolIdentity"));
  EXPECT_THAT(script, HasSubstr("/managedRuntimeVersion:\"\""));
  EXPECT_THAT(script, HasSubstr(R"(icacls "C:\inetpub\gatehouse\srv\shop" /grant "IIS AppPool\shop:(OI)(CI)RX")"));
  EXPECT_THAT(script, HasSubstr("REM   IUSR                           S-1-5-17\r\n"));
}

TEST(ExportWindows, AnonymousReadsAndIsDeniedWrite) {
  const std::string script = two_sites_script();
  EXPECT_THAT(script, HasSubstr(R"(icacls "C:\inetpub\gatehouse\srv\shop\public" /grant "IUSR:(OI)(CI)RX")"
                                "\r\n"
                                R"(icacls "C:\inetpub\gatehouse\srv\shop\public" /deny "IUSR:(OI)(CI)W")"));
  EXPECT_THAT(script, HasSubstr(R"(/userName:"IUSR")"));
}

TEST(ExportWindows, PoolIdentityAsAnonymousUserIsAnEmptyUserName) {
  auto config = testing_support::two_sites();
  config.sites[0].applications[1].authentication.anonymous_user = config::AnonymousUser::Pool;
  const std::string script = export_windows(config, make_plan(config), {});
  EXPECT_THAT(script, HasSubstr(R"("shop/blog" -section:system.webServer/security/authentication/)"
                                R"(anonymousAuthentication /enabled:true /userName:"")"));
}

TEST(ExportWindows, PhpFcgiMaxRequestsFollowsInstanceMaxRequests) {
  const std::string script = two_sites_script();
  EXPECT_THAT(script, HasSubstr("arguments='-c C:\\inetpub\\gatehouse\\srv\\blog\\php.ini'].environmentVariables."
                                "[name='PHP_FCGI_MAX_REQUESTS',value='200']"));
}

TEST(ExportWindows, PathsMapUnderTheWindowsRoot) {
  EXPECT_EQ(windows_path("/srv/shop/public", R"(D:\sites\)"), R"(D:\sites\srv\shop\public)");
}

}  // namespace
}  // namespace gatehouse::perms

namespace gatehouse::perms {
namespace {

TEST(ExportWindows, CarriesDefaultDocumentsAndNamesPhpIniPathsToTranslate) {
  const std::string script = two_sites_script();
  const auto config = testing_support::two_sites();
  const std::string& first = config.sites[0].default_documents.front();
  EXPECT_THAT(script, HasSubstr("-section:system.webServer/defaultDocument /enabled:true /~\"files\""));
  EXPECT_THAT(script, HasSubstr("/+\"files.[value='" + first + "']\""));
  EXPECT_THAT(script, HasSubstr("and TRANSLATE the Linux paths in it:"));
  EXPECT_THAT(script, HasSubstr("REM   session.save_path = " + config.pools[1].ini.session_save_path->string()));
}

}  // namespace
}  // namespace gatehouse::perms

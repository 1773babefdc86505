// The sandbox and the no-script folders compiled from the plan: what a
// pool's workers may touch, what they may not (another pool's tree, other
// sites the shared anonymous account reads), and where scripts never run.
#include "perms/sandbox_spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "perms/test_config.hpp"

namespace gatehouse::perms {
namespace {

using sandbox::Access;

class SandboxSpecTest : public ::testing::Test {
 protected:
  config::Config config_ = testing_support::two_sites();
  const config::Pool& shop() const { return config_.pools[0]; }
  const config::Pool& blog() const { return config_.pools[1]; }
};

TEST_F(SandboxSpecTest, PoolReadsItsTreesWritesItsFoldersAndNothingOfTheOtherPool) {
  const auto spec = sandbox_spec(config_, make_plan(config_), shop(), "");
  EXPECT_TRUE(sandbox_allows(spec, "/srv/shop/public/index.php", Access::kRead));
  EXPECT_FALSE(sandbox_allows(spec, "/srv/shop/public/index.php", Access::kWrite));
  EXPECT_TRUE(sandbox_allows(spec, "/srv/shop/data/cache.txt", Access::kRead | Access::kWrite));
  EXPECT_TRUE(sandbox_allows(spec, "/srv/shop/logs/php_errors.log", Access::kWrite));
  EXPECT_FALSE(sandbox_allows(spec, "/srv/blog/public/index.php", Access::kRead));
  EXPECT_FALSE(sandbox_allows(spec, "/srv/blog/sessions/sess_x", Access::kRead));
  EXPECT_TRUE(sandbox_allows(spec, "/srv/media/a.jpg", Access::kRead));  // a virtual directory of its site
  EXPECT_FALSE(sandbox_allows(spec, "/home/someone/.ssh/id_rsa", Access::kRead));
  EXPECT_FALSE(sandbox_allows(spec, "/srv/shop/data/x.php", Access::kExecute));
  EXPECT_TRUE(sandbox_allows(spec, "/usr/bin/php-cgi", Access::kExecute));
  EXPECT_TRUE(sandbox_allows(spec, "/etc/php/8.2/cgi/php.ini", Access::kRead));
  EXPECT_FALSE(sandbox_allows(spec, "/bin/sh", Access::kExecute));
}

TEST_F(SandboxSpecTest, ImpersonatedAnonymousGetsOnlyThePoolsTreesNotEverySiteItReads) {
  config_.pools[1].ini.fastcgi_impersonate = true;
  const auto plan = make_plan(config_);
  const auto spec = sandbox_spec(config_, plan, blog(), "gh-iusr");
  EXPECT_TRUE(sandbox_allows(spec, "/srv/blog/public/index.php", Access::kRead));
  EXPECT_FALSE(sandbox_allows(spec, "/srv/shop/public/index.php", Access::kRead));  // gh-iusr reads it, blog's PHP not
}

TEST_F(SandboxSpecTest, ConfigAdditionsAndSwitchingOff) {
  config_.pools[0].sandbox.read = {"/opt/geoip"};
  config_.pools[0].sandbox.write = {"/var/cache/shop"};
  config_.pools[0].sandbox.execute = {"/usr/sbin/sendmail"};
  auto spec = sandbox_spec(config_, make_plan(config_), shop(), "");
  EXPECT_TRUE(sandbox_allows(spec, "/opt/geoip/db.mmdb", Access::kRead));
  EXPECT_TRUE(sandbox_allows(spec, "/var/cache/shop/x", Access::kWrite));
  EXPECT_TRUE(sandbox_allows(spec, "/usr/sbin/sendmail", Access::kExecute));
  config_.pools[0].sandbox.enabled = false;
  EXPECT_FALSE(sandbox_spec(config_, make_plan(config_), shop(), "").enabled);
}

TEST_F(SandboxSpecTest, ScriptsNeverRunWherePhpWritesUnlessOptedOut) {
  config_.sites[0].applications[0].writable = {"/srv/shop/public/uploads", "/srv/shop/public/generated"};
  config_.sites[0].applications[0].writable_scripts = {"/srv/shop/public/generated"};
  const auto plan = make_plan(config_);
  const auto folders = no_script_folders(config_, plan, shop(), "");
  const NoScriptFolder* f = forbidding_folder(folders, "/srv/shop/public/uploads/shell.php");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->path, "/srv/shop/public/uploads");
  EXPECT_THAT(f->reason, ::testing::HasSubstr("writable folder of site shop"));
  EXPECT_EQ(forbidding_folder(folders, "/srv/shop/public/generated/page.php"), nullptr);
  EXPECT_EQ(forbidding_folder(folders, "/srv/shop/public/index.php"), nullptr);
  EXPECT_EQ(forbidding_folder(folders, "/srv/shop/public/uploadsX/a.php"), nullptr);
  ASSERT_NE(forbidding_folder(folders, "/srv/shop/logs/x.php"), nullptr);  // error_log's folder
  EXPECT_NE(forbidding_folder(folders, "/tmp/php123.php"), nullptr);       // php's default upload_tmp_dir
  const auto blog_folders = no_script_folders(config_, plan, blog(), "");
  EXPECT_NE(forbidding_folder(blog_folders, "/srv/blog/tmp/a.php"), nullptr);       // upload_tmp_dir
  EXPECT_NE(forbidding_folder(blog_folders, "/srv/blog/sessions/a.php"), nullptr);  // session.save_path
}

}  // namespace
}  // namespace gatehouse::perms

// `gatehouse perms ...` as an administrator runs it: the real binary on a
// configuration file for a real tree; output and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "perms/test_tree.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::HasSubstr;
using testing_support::TestTree;

struct CliRun {
  int code;
  std::string out;
};

CliRun gatehouse(const std::string& args) {
  const std::string command = std::string(GH_BINARY_DIR) + "/gatehouse " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class PermsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& c = tree_.config();
    const auto& shop = c.pools[0].ini;
    const auto& blog = c.pools[1].ini;
    std::ofstream(c.pools[0].php_ini) << "[PHP]\nupload_tmp_dir = " << shop.upload_tmp_dir->string()
                                      << "\nsession.save_path = " << shop.session_save_path->string()
                                      << "\nerror_log = " << shop.error_log->string() << "\n";
    std::ofstream(c.pools[1].php_ini) << "[PHP]\nupload_tmp_dir = " << blog.upload_tmp_dir->string()
                                      << "\nsession.save_path = " << blog.session_save_path->string() << "\n";
    const auto& root = c.sites[0].applications[0];
    const auto& app = c.sites[0].applications[1];
    std::ofstream(config_) << "[server]\nstate_dir = \"" << c.server.state_dir.string() << "\"\nlog_dir = \""
                           << tree_.at("log").string() << "\"\n[accounts]\nanonymous = \"" << tree_.anonymous()
                           << "\"\n[[pools]]\nname = \"shop\"\nidentity = \"" << tree_.shop() << "\"\nphp_ini = \""
                           << c.pools[0].php_ini.string() << "\"\n[[pools]]\nname = \"blog\"\nidentity = \""
                           << tree_.blog() << "\"\nphp_ini = \"" << c.pools[1].php_ini.string()
                           << "\"\n[[sites]]\nname = \"shop\"\nbindings = [\"http://127.0.0.1:8081:shop.localhost\"]\n"
                           << "app_root = \"" << root.app_root.string() << "\"\nphysical_path = \""
                           << root.physical_path.string() << "\"\npool = \"shop\"\nwritable = [\""
                           << root.writable[0].string() << "\"]\n[[sites.applications]]\npath = \"/blog\"\n"
                           << "app_root = \"" << app.app_root.string() << "\"\nphysical_path = \""
                           << app.physical_path.string() << "\"\npool = \"blog\"\n[[sites.virtual_directories]]\n"
                           << "path = \"/media\"\nphysical_path = \"" << tree_.at("srv/media").string() << "\"\n";
  }
  std::string with_config(const std::string& sub) const { return "perms " + sub + " --config " + config_.string(); }

  TestTree tree_;
  Path config_ = tree_.at("gh.toml");
};

TEST_F(PermsCli, ApplyAuditRestoreRoundTrip) {
  const std::string before = tree_.dump();
  const CliRun first = gatehouse(with_config("apply"));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_THAT(first.out, HasSubstr("paths changed; backup "));
  const CliRun second = gatehouse(with_config("apply"));
  EXPECT_EQ(second.code, 0);
  EXPECT_THAT(second.out, HasSubstr(" 0 paths changed\n"));
  const CliRun clean = gatehouse(with_config("audit"));
  EXPECT_EQ(clean.code, 0) << clean.out;
  EXPECT_THAT(clean.out, HasSubstr("0 findings"));

  // Behind the closed application root, open bits are an info note only.
  ASSERT_EQ(chmod(tree_.at("srv/shop/lib/db.php").c_str(), 0646), 0);
  const CliRun unreachable = gatehouse(with_config("audit"));
  EXPECT_EQ(unreachable.code, 0) << unreachable.out;
  EXPECT_THAT(unreachable.out, HasSubstr("0 findings, 3 info notes (--verbose shows them)"));
  const CliRun verbose = gatehouse(with_config("audit --verbose"));
  EXPECT_THAT(verbose.out, HasSubstr("INFO   group-other-open (1)"));
  // The application root itself is reachable from outside: a real finding.
  ASSERT_EQ(chmod(tree_.at("srv/shop").c_str(), 0757), 0);
  const CliRun found = gatehouse(with_config("audit"));
  EXPECT_EQ(found.code, 1) << found.out;
  EXPECT_THAT(found.out, HasSubstr("LOW    group-other-open (1)"));

  const CliRun restored = gatehouse(with_config("restore"));
  EXPECT_EQ(restored.code, 0) << restored.out;
  chmod(tree_.at("srv/shop/lib/db.php").c_str(), 0644);  // the tampering came after the backup
  EXPECT_EQ(tree_.dump(), before);
}

TEST_F(PermsCli, DryRunPrintsChangesOnly) {
  const std::string before = tree_.dump();
  const CliRun dry = gatehouse(with_config("apply --dry-run"));
  EXPECT_EQ(dry.code, 0) << dry.out;
  EXPECT_THAT(dry.out, HasSubstr("paths would change"));
  EXPECT_THAT(dry.out, ::testing::Not(HasSubstr("  after  access ")));  // a summary per folder
  EXPECT_THAT(dry.out, HasSubstr(tree_.at("srv/shop").string() + ": "));
  const CliRun verbose = gatehouse(with_config("apply --dry-run --verbose"));
  EXPECT_THAT(verbose.out, HasSubstr("  after  access "));
  EXPECT_THAT(verbose.out, HasSubstr("u:" + tree_.shop() + ":"));
  EXPECT_EQ(tree_.dump(), before);
}

TEST_F(PermsCli, AuditOnABadConfigurationExitsTwo) {
  std::ofstream(tree_.at("bad.toml")) << "[server]\nno_such_key = 1\n";
  const CliRun bad = gatehouse("perms audit --config " + tree_.at("bad.toml").string());
  EXPECT_EQ(bad.code, 2) << bad.out;
}

TEST_F(PermsCli, PlanAsJson) {
  const CliRun plan = gatehouse(with_config("plan --json"));
  ASSERT_EQ(plan.code, 0) << plan.out;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_FALSE(json["grants"].empty());
  EXPECT_EQ(json["grants"][0].size(), 6u);
}

TEST_F(PermsCli, ExplainAndExport) {
  ASSERT_EQ(gatehouse(with_config("apply")).code, 0);
  const CliRun explain = gatehouse(with_config("explain " + tree_.at("srv/shop/lib/db.php").string() + " --op write"));
  EXPECT_EQ(explain.code, 0) << explain.out;
  EXPECT_THAT(explain.out, HasSubstr("agrees"));
  EXPECT_THAT(explain.out, ::testing::Not(HasSubstr("DISAGREES")));
  const Path script = tree_.at("iis.cmd");
  const CliRun exported = gatehouse(with_config("export --target windows -o " + script.string()));
  EXPECT_EQ(exported.code, 0) << exported.out;
  EXPECT_THAT(testing_support::shell("head -c 9 " + script.string()), "@echo off");
}

}  // namespace
}  // namespace gatehouse::perms

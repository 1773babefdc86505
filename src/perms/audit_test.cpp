// audit on a real tree: clean right after apply, and each kind of tampering
// found with its rule, path and account.
#include "perms/audit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "perms/apply.hpp"
#include "perms/test_tree.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using testing_support::TestTree;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = apply(plan_, ApplyOptions{tree_.config().server.state_dir});
    ASSERT_TRUE(applied) << applied.error().message();
  }
  AuditReport run() {
    auto report = audit(tree_.config(), plan_);
    if (!report) throw std::runtime_error(report.error().message());
    return *report;
  }
  void sh(const std::string& command) { ASSERT_EQ(system(command.c_str()), 0) << command; }

  TestTree tree_;
  Plan plan_ = tree_.plan();
};

}  // namespace

void PrintTo(const Finding& f, std::ostream* os) {
  *os << f.rule << " " << f.path << " " << f.account << ": " << f.detail;
}

namespace {

auto finding(const std::string& rule, const Path& path, const std::string& account) {
  return AllOf(Field(&Finding::rule, rule), Field(&Finding::path, path.string()), Field(&Finding::account, account));
}

TEST_F(AuditTest, CleanAfterApply) {
  const AuditReport report = run();
  EXPECT_GT(report.examined, 10u);
  EXPECT_THAT(report.findings, ::testing::IsEmpty()) << format_findings(report);
  EXPECT_THAT(format_findings(report), ::testing::EndsWith("0 findings\n"));
}

// DokuWiki chmods what it writes to 0644: behind an application root with
// other::---, no account outside the plan reaches those bits.
TEST_F(AuditTest, UnreachableOpenBitsAreAnInfoNote) {
  const Path file = tree_.at("srv/shop/public/index.php");
  sh("chmod o+w " + file.string());
  const auto report = run();
  EXPECT_THAT(report.findings,
              Contains(AllOf(finding("group-other-open", file, "other"), Field(&Finding::severity, Severity::Info))));
  EXPECT_EQ(report.failing(), 0u) << format_findings(report, {.verbose = true});
  // Also a note that the other pool, which "other" now lets write, cannot get there.
  EXPECT_THAT(format_findings(report), ::testing::HasSubstr("0 findings, 2 info notes (--verbose shows them)"));
  EXPECT_THAT(format_findings(report, {.verbose = true}),
              ::testing::HasSubstr(tree_.at("srv/shop").string() + " (other::---) stops them"));
}

TEST_F(AuditTest, ReachableOpenBitsAreFound) {
  const Path dir = tree_.at("srv/shop");
  sh("chmod o+rx " + dir.string());
  auto report = run();
  EXPECT_THAT(report.findings,
              Contains(AllOf(finding("group-other-open", dir, "other"), Field(&Finding::severity, Severity::Low))));
  EXPECT_THAT(report.findings, ::testing::Not(Contains(Field(&Finding::rule, "open-write"))));
  EXPECT_GT(report.failing(), 0u);
  // Writable by everyone is high: any local account could plant code the pool runs.
  sh("chmod o+w " + dir.string());
  report = run();
  EXPECT_THAT(report.findings,
              Contains(AllOf(finding("open-write", dir, "other"), Field(&Finding::severity, Severity::High),
                             Field(&Finding::fix, ::testing::StartsWith("chmod g-w,o-w " + dir.string())))))
      << format_findings(report);
}

// Group write reaches as far: nogroup holds nobody (by its primary group),
// an account outside the plan.
TEST_F(AuditTest, ReachableGroupWriteIsHigh) {
  const Path dir = tree_.at("srv/shop");
  sh("chgrp nogroup " + dir.string() + " && setfacl -m g::rwx " + dir.string());  // chmod g+ would set the mask
  const auto report = run();
  EXPECT_THAT(report.findings,
              Contains(AllOf(finding("open-write", dir, "group nogroup"), Field(&Finding::severity, Severity::High))))
      << format_findings(report);
}

TEST_F(AuditTest, PoolWritingItsOwnCodeIsFound) {
  const Path file = tree_.at("srv/shop/public/index.php");
  sh("setfacl -m u:" + tree_.shop() + ":rw " + file.string());
  EXPECT_THAT(run().findings, Contains(finding("pool-can-write-code", file, tree_.shop())));
}

TEST_F(AuditTest, ExtraAclEntryIsFound) {
  const Path file = tree_.at("srv/shop/lib/db.php");
  sh("setfacl -m u:nobody:r " + file.string());
  const auto report = run();
  EXPECT_THAT(report.findings,
              Contains(AllOf(finding("extra-access", file, "nobody"), Field(&Finding::severity, Severity::Medium))))
      << format_findings(report);
}

// Another pool's entry is high whether or not it can reach the file today.
TEST_F(AuditTest, AnotherPoolsEntryIsCrossPool) {
  const Path file = tree_.at("srv/shop/lib/db.php");
  sh("setfacl -m u:" + tree_.blog() + ":r " + file.string());
  const auto report = run();
  EXPECT_THAT(report.findings, Contains(AllOf(finding("cross-pool-access", file, tree_.blog()),
                                              Field(&Finding::severity, Severity::High))))
      << format_findings(report);
}

TEST_F(AuditTest, FileOwnedByAnotherPoolIsCrossPool) {
  const Path file = tree_.at("srv/shop/data/orders.csv");
  sh("chown " + tree_.blog() + " " + file.string());
  EXPECT_THAT(run().findings, Contains(finding("cross-pool-access", file, tree_.blog())));
}

TEST(AuditFormat, ShortensPathsInTheMiddle) {
  EXPECT_EQ(shorten_middle("/srv/short", 20), "/srv/short");
  EXPECT_EQ(shorten_middle("/srv/wiki/data/pages/very/deep/page.txt", 21), "/srv/wiki/…p/page.txt");
}

TEST_F(AuditTest, RemovedGrantIsFound) {
  const Path dir = tree_.at("srv/shop/data");
  sh("setfacl -x u:" + tree_.shop() + " " + dir.string());
  EXPECT_THAT(run().findings, Contains(finding("missing-grant", dir, tree_.shop())));
}

TEST_F(AuditTest, AnonymousWriteUnderPublicRootIsFound) {
  const Path dir = tree_.at("srv/shop/public/css");
  sh("setfacl -m u:" + tree_.anonymous() + ":rwx " + dir.string());
  EXPECT_THAT(run().findings, Contains(finding("anonymous-can-write", dir, tree_.anonymous())));
}

TEST_F(AuditTest, ApplyRepairsWhatAuditFound) {
  sh("chmod o+w " + tree_.at("srv/shop/public/index.php").string());
  sh("setfacl -x u:" + tree_.shop() + " " + tree_.at("srv/shop/data").string());
  ASSERT_FALSE(run().findings.empty());
  auto applied = apply(plan_, ApplyOptions{tree_.config().server.state_dir});
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->changed, 2u);
  EXPECT_THAT(run().findings, ::testing::IsEmpty());
}

// The server refuses to run scripts in a writable folder, so the classic
// web-shell path is closed and the audit stays quiet; opting the folder out
// (writable = [{ path = ..., execute = true }]) brings the finding back.
TEST_F(AuditTest, WritableFolderUnderPublicRootIsARiskOnlyWhenScriptsRunThere) {
  const Path uploads = tree_.at("srv/shop/public/uploads");
  std::filesystem::create_directories(uploads);
  auto findings_with = [&](bool execute) {
    config::Config config = tree_.config();
    config.sites[0].applications[0].writable.push_back(uploads);
    if (execute) config.sites[0].applications[0].writable_scripts.push_back(uploads);
    Plan plan = make_plan(config);
    std::erase_if(plan.grants, [&](const Grant& g) { return !is_within(g.path, tree_.root()); });
    auto report = audit(config, plan);
    if (!report) throw std::runtime_error(report.error().message());
    return report->findings;
  };
  const auto risk = finding("php-in-writable-folder", uploads, tree_.shop());
  EXPECT_THAT(findings_with(false), ::testing::Not(Contains(risk)));
  EXPECT_THAT(findings_with(true), Contains(risk));
}

// scripts = false on the folder (handler_policies) closes the same path, and
// the fix text names that setting.
TEST_F(AuditTest, HandlerPolicyWithScriptsOffClosesTheWritableFolderRisk) {
  const Path uploads = tree_.at("srv/shop/public/uploads");
  std::filesystem::create_directories(uploads);
  config::Config config = tree_.config();
  config.sites[0].applications[0].writable.push_back(uploads);
  config.sites[0].applications[0].writable_scripts.push_back(uploads);  // opted out of the server's rule
  Plan plan = make_plan(config);
  std::erase_if(plan.grants, [&](const Grant& g) { return !is_within(g.path, tree_.root()); });
  auto report = audit(config, plan);
  ASSERT_TRUE(report);
  EXPECT_THAT(
      report->findings,
      Contains(AllOf(finding("php-in-writable-folder", uploads, tree_.shop()),
                     Field(&Finding::fix,
                           ::testing::HasSubstr("[[sites.handler_policies]] path = \"/uploads\" scripts = false")))));
  config.sites[0].handler_policies.push_back(config::HandlerPolicy{"/uploads", false, {}});
  auto off = audit(config, plan);
  ASSERT_TRUE(off);
  EXPECT_THAT(off->findings, ::testing::Not(Contains(Field(&Finding::rule, "php-in-writable-folder"))));
}

}  // namespace
}  // namespace gatehouse::perms

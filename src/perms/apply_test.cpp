// apply and restore on a real tree, as root: what the kernel then allows,
// idempotence, symlinks, and exact restores (also after a killed apply).
#include "perms/apply.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accounts/identity.hpp"
#include "perms/journal.hpp"
#include "perms/test_tree.hpp"

namespace gatehouse::perms {
namespace {

using testing_support::kernel_allows;
using testing_support::Op;
using testing_support::TestTree;

accounts::Identity who(const std::string& name) { return *accounts::resolve_identity(name); }

ApplyOptions options_for(const TestTree& tree) { return ApplyOptions{tree.config().server.state_dir}; }

TEST(Apply, KernelThenEnforcesThePlan) {
  TestTree tree;
  const Plan plan = tree.plan();
  auto report = apply(plan, options_for(tree));
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GT(report->changed, 0u);
  EXPECT_THAT(report->missing, ::testing::IsEmpty());

  const auto anon = who(tree.anonymous()), shop = who(tree.shop()), blog = who(tree.blog());
  EXPECT_TRUE(kernel_allows(anon, tree.at("srv/shop/public/index.php"), Op::Read));
  EXPECT_TRUE(kernel_allows(anon, tree.at("srv/shop/public/css/site.css"), Op::Read));
  EXPECT_TRUE(kernel_allows(anon, tree.at("srv/media/logo.png"), Op::Read));
  EXPECT_FALSE(kernel_allows(anon, tree.at("srv/shop/public/index.php"), Op::Write));
  EXPECT_FALSE(kernel_allows(anon, tree.at("srv/shop/public"), Op::Write));
  EXPECT_FALSE(kernel_allows(anon, tree.at("srv/shop/lib/db.php"), Op::Read));
  EXPECT_FALSE(kernel_allows(anon, tree.at("srv/shop"), Op::List)) << "traverse only";

  EXPECT_TRUE(kernel_allows(shop, tree.at("srv/shop/lib/db.php"), Op::Read));
  EXPECT_FALSE(kernel_allows(shop, tree.at("srv/shop/lib/db.php"), Op::Write)) << "a pool never writes its code";
  EXPECT_TRUE(kernel_allows(shop, tree.at("srv/shop/data/orders.csv"), Op::Write));
  EXPECT_TRUE(kernel_allows(shop, tree.at("srv/shop/sessions"), Op::Write));
  EXPECT_TRUE(kernel_allows(shop, tree.at("srv/shop/logs"), Op::Write));
  EXPECT_TRUE(kernel_allows(shop, tree.at("srv/media/logo.png"), Op::Read));
  EXPECT_FALSE(kernel_allows(shop, tree.at("srv/blog/public/index.php"), Op::Read)) << "pools kept apart";
  EXPECT_FALSE(kernel_allows(shop, tree.at("srv/blog/sessions"), Op::List));
  EXPECT_FALSE(kernel_allows(blog, tree.at("srv/shop/public/index.php"), Op::Read));
  EXPECT_TRUE(kernel_allows(blog, tree.at("srv/blog/tmp"), Op::Write));
}

TEST(Apply, NewFilesInheritTheGrants) {
  TestTree tree;
  ASSERT_TRUE(apply(tree.plan(), options_for(tree)));
  std::ofstream(tree.at("srv/shop/public/new.html")) << "new\n";  // root's umask 022 would open it to all
  std::filesystem::create_directory(tree.at("srv/shop/public/img"));
  std::ofstream(tree.at("srv/shop/public/img/a.png")) << "png\n";
  const auto anon = who(tree.anonymous());
  EXPECT_TRUE(kernel_allows(anon, tree.at("srv/shop/public/new.html"), Op::Read));
  EXPECT_TRUE(kernel_allows(anon, tree.at("srv/shop/public/img/a.png"), Op::Read));
  EXPECT_FALSE(kernel_allows(who(tree.blog()), tree.at("srv/shop/public/img/a.png"), Op::Read));
  EXPECT_TRUE(kernel_allows(who(tree.shop()), tree.at("srv/shop/public/img/a.png"), Op::Read));
}

TEST(Apply, SecondApplyChangesNothing) {
  TestTree tree;
  const Plan plan = tree.plan();
  auto first = apply(plan, options_for(tree));
  ASSERT_TRUE(first) << first.error().message();
  const std::string after_first = tree.dump();
  auto second = apply(plan, options_for(tree));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->changed, 0u);
  EXPECT_EQ(second->examined, first->examined);
  EXPECT_EQ(second->backup_id, "") << "nothing changed, nothing to back up";
  EXPECT_EQ(tree.dump(), after_first);
}

TEST(Apply, NeverFollowsASymlinkOutOfTheTree) {
  TestTree tree;
  chmod(tree.at("outside").c_str(), 0700);  // closed: only an ACL entry put there by mistake would open it
  const std::string outside = testing_support::shell("getfacl -p " + tree.at("outside/secret.txt").string());
  ASSERT_TRUE(apply(tree.plan(), options_for(tree)));
  EXPECT_EQ(testing_support::shell("getfacl -p " + tree.at("outside/secret.txt").string()), outside);
  EXPECT_FALSE(kernel_allows(who(tree.anonymous()), tree.at("outside/secret.txt"), Op::Read));
}

TEST(Apply, DryRunListsChangesAndTouchesNothing) {
  TestTree tree;
  const std::string before = tree.dump();
  ApplyOptions options = options_for(tree);
  options.dry_run = true;
  auto report = apply(tree.plan(), options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GT(report->changed, 0u);
  EXPECT_EQ(report->changes.size(), report->changed);
  EXPECT_EQ(report->backup_id, "");
  EXPECT_EQ(tree.dump(), before);
  EXPECT_FALSE(std::filesystem::exists(tree.config().server.state_dir / "perms"));
}

TEST(Apply, MissingAccountIsAnErrorNamingIt) {
  TestTree tree;
  Plan plan = tree.plan();
  plan.grants[0].account = "gh-no-such-account";
  auto report = apply(plan, options_for(tree));
  ASSERT_FALSE(report);
  EXPECT_THAT(report.error().message(), ::testing::HasSubstr("gh-no-such-account"));
}

TEST(Restore, GivesBackTheTreeExactly) {
  TestTree tree;
  chmod(tree.at("srv/shop/lib/db.php").c_str(), 04750);  // special bits must come back too
  ASSERT_EQ(system(("setfacl -m u:nobody:r " + tree.at("srv/shop/data/orders.csv").string()).c_str()), 0);
  const std::string before = tree.dump();
  auto applied = apply(tree.plan(), options_for(tree));
  ASSERT_TRUE(applied) << applied.error().message();
  ASSERT_NE(tree.dump(), before);
  auto restored = restore(tree.config().server.state_dir, std::nullopt);
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_EQ(restored->backup_id, applied->backup_id);
  EXPECT_EQ(restored->restored, applied->changed);
  EXPECT_EQ(tree.dump(), before);
}

TEST(Restore, AfterAnApplyKilledHalfWay) {
  TestTree tree;
  const std::string before = tree.dump();
  const Plan plan = tree.plan();
  const pid_t pid = fork();
  if (pid == 0) {
    ApplyOptions options = options_for(tree);
    options.after_change = [](std::size_t changed) {
      if (changed == 7) _exit(42);  // as if killed: no clean-up, no return
    };
    (void)apply(plan, options);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 42) << "the apply must have been cut short";
  ASSERT_NE(tree.dump(), before) << "some paths were changed before the kill";
  auto restored = restore(tree.config().server.state_dir, std::nullopt);
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_EQ(tree.dump(), before);
}

TEST(Restore, AnApplyKilledBeforeItsFirstJournalWriteChangedNothing) {
  TestTree tree;
  const Path dir = backups_dir(tree.config().server.state_dir) / "20260101T000000.000000Z";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "journal").flush();  // created, header not yet written
  auto restored = restore(tree.config().server.state_dir, std::nullopt);
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_EQ(restored->restored, 0u);
}

TEST(Restore, WithoutABackupIsAnError) {
  TestTree tree;
  auto restored = restore(tree.config().server.state_dir, std::nullopt);
  ASSERT_FALSE(restored);
  EXPECT_THAT(restored.error().message(), ::testing::HasSubstr("no backup"));
}

// A folder large enough to be split between the two threads, with files of
// several shapes (modes, an extra ACL entry, a FIFO, a link): the result is
// what the plan says, a second apply finds nothing, restore is exact, also
// after a kill in the middle of a batch.
class LargeFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    const Path dir = tree_.at("srv/shop/public/many");
    std::filesystem::create_directory(dir);
    for (int i = 0; i < 300; ++i) {
      const Path file = dir / ("f" + std::to_string(i) + ".php");
      std::ofstream(file) << i << "\n";
      chmod(file.c_str(), i % 3 == 0 ? 0755 : i % 3 == 1 ? 0644 : 0600);
      if (i % 7 == 0) testing_support::shell("setfacl -m u:65534:rw " + file.string());
    }
    ASSERT_EQ(mkfifo((dir / "queue").c_str(), 0660), 0);
    std::filesystem::create_symlink("/etc/shadow", dir / "shadow");
    before_ = tree_.dump();
  }

  TestTree tree_;
  std::string before_;
};

TEST_F(LargeFolder, EveryShapeGetsThePlanAndRestoreIsExact) {
  const std::string shadow = testing_support::shell("getfacl -p /etc/shadow");
  auto first = apply(tree_.plan(), options_for(tree_));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_GT(first->changed, 300u);
  EXPECT_EQ(testing_support::shell("getfacl -p /etc/shadow"), shadow);
  const auto anon = who(tree_.anonymous());
  EXPECT_TRUE(kernel_allows(anon, tree_.at("srv/shop/public/many/f2.php"), Op::Read)) << "0600 file";
  EXPECT_FALSE(kernel_allows(anon, tree_.at("srv/shop/public/many/f7.php"), Op::Write)) << "extra entry dropped";
  EXPECT_FALSE(kernel_allows(*accounts::resolve_identity("nobody"), tree_.at("srv/shop/public/many/f7.php"), Op::Read));
  EXPECT_EQ(testing_support::shell("getfacl -cp " + tree_.at("srv/shop/public/many/f3.php").string() + " | sort"),
            testing_support::shell("getfacl -cp " + tree_.at("srv/shop/public/many/f0.php").string() + " | sort"))
      << "same mode, same result";

  auto second = apply(tree_.plan(), options_for(tree_));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->changed, 0u);
  EXPECT_EQ(second->examined, first->examined);

  ASSERT_TRUE(restore(tree_.config().server.state_dir, std::nullopt));
  EXPECT_EQ(tree_.dump(), before_);
}

TEST_F(LargeFolder, RestoreIsExactAfterAKillInTheMiddleOfASplitBatch) {
  const pid_t pid = fork();
  if (pid == 0) {
    ApplyOptions options = options_for(tree_);
    options.after_change = [](std::size_t changed) {
      if (changed == 150) _exit(42);
    };
    (void)apply(tree_.plan(), options);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 42);
  ASSERT_NE(tree_.dump(), before_);
  ASSERT_TRUE(restore(tree_.config().server.state_dir, std::nullopt));
  EXPECT_EQ(tree_.dump(), before_);
}

}  // namespace
}  // namespace gatehouse::perms

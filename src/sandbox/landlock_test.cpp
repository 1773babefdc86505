// Landlock as a worker gets it: a child restricted to its rules reads and
// writes only there, cannot exec, and cannot reach another worker's memory.
#include "sandbox/landlock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "sandbox/test_support.hpp"

namespace gatehouse::sandbox::test {
namespace {

class LandlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (landlock_abi() == 0) {
      if (in_ci()) FAIL() << "CI=true and this kernel offers no Landlock";
      GTEST_SKIP() << "no Landlock in this kernel";
    }
    for (const char* d : {"ro", "rw", "out"}) std::filesystem::create_directory(tmp_.path() / d);
    for (const char* f : {"ro/a.txt", "rw/b.txt", "out/secret.txt"}) std::ofstream(tmp_.path() / f) << "x";
    ::chmod((tmp_.path() / "out/secret.txt").c_str(), 0644);
  }
  Spec spec() const {
    Spec s;
    s.add(tmp_.path() / "ro", Access::kRead, "test");
    s.add(tmp_.path() / "rw", Access::kRead | Access::kWrite, "test");
    s.add("/usr/lib", Access::kRead, "test");
    return s;
  }
  // 0 when open(path, flags) succeeds in a child restricted by `ruleset`, else its errno.
  int open_errno(const Ruleset& ruleset, const std::filesystem::path& path, int flags) {
    return in_child([&] {
      if (restrict_self(ruleset.fd()) != 0) return 100;
      int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
      return fd >= 0 ? 0 : errno;
    });
  }
  TempDir tmp_;
};

TEST_F(LandlockTest, ReadsAndWritesOnlyWhereTheRulesSay) {
  auto ruleset = Ruleset::build(spec());
  ASSERT_TRUE(ruleset) << ruleset.error().message();
  ASSERT_GE(ruleset->fd(), 0);
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "ro/a.txt", O_RDONLY), 0);
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "ro/a.txt", O_WRONLY), EACCES);
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "ro/new.txt", O_WRONLY | O_CREAT), EACCES);
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "rw/b.txt", O_RDWR), 0);
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "rw/new.txt", O_WRONLY | O_CREAT), 0);
  // world-readable, and the child is root: only Landlock says no
  EXPECT_EQ(open_errno(*ruleset, tmp_.path() / "out/secret.txt", O_RDONLY), EACCES);
  EXPECT_EQ(open_errno(*ruleset, "/etc/hostname", O_RDONLY), EACCES);
}

TEST_F(LandlockTest, ExecIsDeniedUnlessARuleGrantsIt) {
  auto denied = Ruleset::build(spec());
  ASSERT_TRUE(denied);
  auto run_sh = [](const Ruleset& r) {
    return in_child([&] {
      if (restrict_self(r.fd()) != 0) return 100;
      const char* argv[] = {"sh", "-c", "exit 0", nullptr};
      ::execv("/bin/sh", const_cast<char**>(argv));
      return errno;
    });
  };
  EXPECT_EQ(run_sh(*denied), EACCES);
  Spec allowed = spec();
  allowed.add("/bin/sh", Access::kRead | Access::kExecute, "test");
  allowed.add("/lib64", Access::kRead | Access::kExecute, "test");  // the ELF interpreter
  allowed.add("/usr/lib", Access::kRead | Access::kExecute, "test");
  allowed.add("/etc/ld.so.cache", Access::kRead, "test");
  auto ruleset = Ruleset::build(allowed);
  ASSERT_TRUE(ruleset);
  EXPECT_EQ(run_sh(*ruleset), 0);
}

// Each restrict_self makes its own domain: two workers (even of one account,
// even root) cannot open each other's /proc/<pid>/mem, which ptrace guards.
TEST_F(LandlockTest, SeparateDomainsCannotReachEachOthersMemory) {
  Spec s = spec();
  s.add("/proc", Access::kRead, "test");  // so that only the ptrace scope can say no
  auto ruleset = Ruleset::build(s);
  ASSERT_TRUE(ruleset);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t victim = ::fork();
  if (victim == 0) {
    if (restrict_self(ruleset->fd()) != 0) ::_exit(100);
    [[maybe_unused]] auto n = ::write(ready[1], "r", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  const auto mem = "/proc/" + std::to_string(victim) + "/mem";
  EXPECT_EQ(open_errno(*ruleset, mem, O_RDONLY), EACCES);
  Ruleset none;
  EXPECT_EQ(open_errno(none, mem, O_RDONLY), 0);  // without Landlock the same open works
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(LandlockTest, MissingPathsAreSkippedAndAnOffSpecHasNoRuleset) {
  Spec s = spec();
  s.add(tmp_.path() / "not-yet", Access::kRead, "test");
  auto ruleset = Ruleset::build(s);
  ASSERT_TRUE(ruleset);
  EXPECT_EQ(ruleset->skipped(), std::vector<std::string>{(tmp_.path() / "not-yet").string()});
  s.enabled = false;
  auto off = Ruleset::build(s);
  ASSERT_TRUE(off);
  EXPECT_EQ(off->fd(), -1);
  EXPECT_EQ(restrict_self(off->fd()), 0);
}

TEST(SpecDescribe, ListsRightsPathsAndReasons) {
  Spec s;
  s.add("/srv/a", Access::kRead, "plan");
  s.add("/srv/a", Access::kWrite, "writable");
  EXPECT_EQ(describe(s, ""), "rw-  /srv/a  (plan; writable)\neverything else: denied (Landlock)\n");
}

}  // namespace
}  // namespace gatehouse::sandbox::test

// The kernel decides: file opens under per-thread credentials, and a forked
// child that drops privileges for good (runs as root with real accounts).
#include "accounts/credentials.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "accounts/test_support.hpp"

namespace gatehouse::accounts {
namespace {

namespace fs = std::filesystem;

// errno of open(path, O_RDONLY) by the calling thread; 0 when it succeeds.
int open_errno(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

// The kernel's view of the calling thread's fsuid (4th field of "Uid:").
std::string kernel_fsuid() {
  std::ifstream status("/proc/thread-self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) {
      std::istringstream fields(line.substr(4));
      std::string real, effective, saved, fs_uid;
      fields >> real >> effective >> saved >> fs_uid;
      return fs_uid;
    }
  }
  return "?";
}

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these tests need root";
    char tmpl[] = "/tmp/gh-cred-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);  // every account may traverse; the files decide
    only_a_ = dir_ / "only-a.txt";
    std::ofstream(only_a_) << "secret of A\n";
    ASSERT_EQ(::chown(only_a_.c_str(), a_.identity().uid, a_.identity().gid), 0);
    ASSERT_EQ(::chmod(only_a_.c_str(), 0600), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::TestAccount a_;
  testing::TestAccount b_;
  fs::path dir_;
  fs::path only_a_;
};

TEST_F(CredentialsTest, KernelDecidesPerAccountAndGuardRestoresRoot) {
  {
    auto as_b = ThreadCredentials::assume(b_.identity());
    ASSERT_TRUE(as_b) << as_b.error().message();
    EXPECT_EQ(kernel_fsuid(), std::to_string(b_.identity().uid));
    EXPECT_EQ(open_errno(only_a_), EACCES);
  }
  EXPECT_EQ(current_fsuid(), 0u);
  {
    auto as_a = ThreadCredentials::assume(a_.identity());
    ASSERT_TRUE(as_a) << as_a.error().message();
    EXPECT_EQ(open_errno(only_a_), 0);
    EXPECT_EQ(open_errno("/etc/shadow"), EACCES);  // root's own files are out of reach too
  }
  EXPECT_EQ(kernel_fsuid(), "0");
  EXPECT_EQ(current_fsgid(), 0u);
  EXPECT_EQ(open_errno("/etc/shadow"), 0);
}

TEST_F(CredentialsTest, SupplementaryGroupsArePerThread) {
  testing::TestGroup group;
  group.add_member(b_.name());
  auto b = resolve_identity(b_.name());  // now with the group
  ASSERT_TRUE(b);
  const fs::path group_file = dir_ / "group-only.txt";
  std::ofstream(group_file) << "for the group\n";
  ASSERT_EQ(::chown(group_file.c_str(), 0, group.gid()), 0);
  ASSERT_EQ(::chmod(group_file.c_str(), 0040), 0);

  auto as_b = ThreadCredentials::assume(*b);
  ASSERT_TRUE(as_b) << as_b.error().message();
  EXPECT_EQ(open_errno(group_file), 0);
  {
    auto as_a = ThreadCredentials::assume(a_.identity());  // nested: A is not in the group
    ASSERT_TRUE(as_a);
    EXPECT_EQ(open_errno(group_file), EACCES);
  }
  EXPECT_EQ(open_errno(group_file), 0);  // back to B, with B's groups
}

TEST_F(CredentialsTest, OtherThreadsKeepTheirCredentials) {
  // The other thread starts before the switch: a thread created under a guard
  // inherits its creator's credentials, as clone(2) copies them.
  std::promise<void> main_switched, other_switched, done;
  std::thread other([&] {
    main_switched.get_future().wait();
    EXPECT_EQ(kernel_fsuid(), "0");  // untouched by the main thread's guard
    EXPECT_EQ(open_errno(only_a_), 0);
    auto as_a = ThreadCredentials::assume(a_.identity());
    EXPECT_TRUE(as_a);
    other_switched.set_value();
    done.get_future().wait();
    EXPECT_EQ(kernel_fsuid(), std::to_string(a_.identity().uid));
    EXPECT_EQ(open_errno(only_a_), 0);
  });
  {
    auto as_b = ThreadCredentials::assume(b_.identity());
    EXPECT_TRUE(as_b);  // no ASSERT: the other thread waits for us
    main_switched.set_value();
    other_switched.get_future().wait();
    EXPECT_EQ(kernel_fsuid(), std::to_string(b_.identity().uid));  // untouched by the other's guard
    EXPECT_EQ(open_errno(only_a_), EACCES);
    done.set_value();
    other.join();
  }
  EXPECT_EQ(kernel_fsuid(), "0");
}

TEST_F(CredentialsTest, ThreadStartedUnderAGuardInheritsIt) {
  auto as_b = ThreadCredentials::assume(b_.identity());
  ASSERT_TRUE(as_b);
  std::string child_fsuid;
  std::thread([&] { child_fsuid = kernel_fsuid(); }).join();
  EXPECT_EQ(child_fsuid, std::to_string(b_.identity().uid));
}

TEST_F(CredentialsTest, FailedSwitchIsAnErrorAndChangesNothing) {
  std::vector<gid_t> too_many(70000, a_.identity().gid);  // beyond NGROUPS_MAX (65536)
  auto guard = ThreadCredentials::assume(a_.identity().uid, a_.identity().gid, too_many);
  ASSERT_FALSE(guard);
  EXPECT_EQ(guard.error().op, "setgroups");
  EXPECT_EQ(guard.error().errnum, EINVAL);
  EXPECT_EQ(current_fsuid(), 0u);
  EXPECT_EQ(open_errno("/etc/shadow"), 0);
}

// What the child reports through the pipe.
struct ChildReport {
  DropResult result;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  int ngroups;
  gid_t groups[8];
  int no_new_privs;
  int setuid_root_errno;
  int open_only_a_errno;
  int open_shadow_errno;
  DropResult second;  // dropping again, to another account, must fail
};

ChildReport run_child(const Identity& target, const Identity& other, const fs::path& only_a) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ChildReport r{};
    r.result = drop_privileges(target.uid, target.gid, target.groups.data(), target.groups.size());
    ::getresuid(&r.ruid, &r.euid, &r.suid);
    ::getresgid(&r.rgid, &r.egid, &r.sgid);
    r.ngroups = ::getgroups(8, r.groups);
    r.no_new_privs = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    r.setuid_root_errno = ::setuid(0) == 0 ? 0 : errno;
    r.open_only_a_errno = open_errno(only_a);
    r.open_shadow_errno = open_errno("/etc/shadow");
    r.second = drop_privileges(other.uid, other.gid, other.groups.data(), other.groups.size());
    (void)!::write(fds[1], &r, sizeof r);
    ::_exit(0);
  }
  ::close(fds[1]);
  ChildReport r{};
  EXPECT_EQ(::read(fds[0], &r, sizeof r), static_cast<ssize_t>(sizeof r));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return r;
}

TEST_F(CredentialsTest, ChildDropsForGood) {
  const Identity& a = a_.identity();
  const ChildReport r = run_child(a, b_.identity(), only_a_);
  ASSERT_TRUE(r.result.ok()) << drop_error(r.result, a.name).message();
  EXPECT_EQ(r.ruid, a.uid);
  EXPECT_EQ(r.euid, a.uid);
  EXPECT_EQ(r.suid, a.uid);
  EXPECT_EQ(r.rgid, a.gid);
  EXPECT_EQ(r.egid, a.gid);
  EXPECT_EQ(r.sgid, a.gid);
  ASSERT_EQ(r.ngroups, static_cast<int>(a.groups.size()));
  EXPECT_EQ(std::vector<gid_t>(r.groups, r.groups + r.ngroups), a.groups);
  EXPECT_EQ(r.no_new_privs, 1);
  EXPECT_EQ(r.setuid_root_errno, EPERM);
  EXPECT_EQ(r.open_only_a_errno, 0);
  EXPECT_EQ(r.open_shadow_errno, EACCES);
  // A second drop to another account fails at the first step, with its errno.
  EXPECT_EQ(r.second.step, DropStep::kSetGroups);
  EXPECT_EQ(r.second.errnum, EPERM);
  EXPECT_EQ(drop_error(r.second, b_.name()).message(), "setgroups " + b_.name() + " failed: Operation not permitted");
}

TEST(DropStepName, NamesEveryStep) {
  EXPECT_STREQ(drop_step_name(DropStep::kSetUid), "setresuid");
  EXPECT_STREQ(drop_step_name(DropStep::kCheckNoRoot), "check that root cannot be regained");
  const Error e = drop_error(DropResult{DropStep::kCheckIds, 0}, "gh-pool-x");
  EXPECT_EQ(e.message(), "check uid/gid gh-pool-x failed: the worker kept privileges it must not have");
}

}  // namespace
}  // namespace gatehouse::accounts

// Spawner pieces a user can see: the socket folder check, the worker
// environment, and privilege-drop failures reported with step and errno.
#include "pool/spawner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pool/test_support.hpp"

namespace gatehouse::pool::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SocketDir, IsCreated0700AndRefusedWhenOthersCanEnterOrItIsNotOurs) {
  TempDir tmp;
  auto dir = tmp.path() / "sockets";
  ASSERT_TRUE(ensure_socket_dir(dir).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  ::chmod(dir.c_str(), 0755);
  auto loose = ensure_socket_dir(dir);
  ASSERT_FALSE(loose.has_value());
  EXPECT_EQ(loose.error().message(), "use socket folder " + dir.string() + " failed: mode 0755, must be 0700");

  ::chmod(dir.c_str(), 0700);
  fs::create_directory_symlink(dir, tmp.path() / "link");
  EXPECT_FALSE(ensure_socket_dir(tmp.path() / "link").has_value());

  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    auto foreign = ensure_socket_dir(dir);
    ASSERT_FALSE(foreign.has_value());
    EXPECT_THAT(foreign.error().message(), HasSubstr("owned by uid 65534"));
  }
}

TEST(WorkerEnvironment, HoldsOnlyThePoolsPairsAndTheFastCgiCounts) {
  config::FastCgi fastcgi;
  fastcgi.instance_max_requests = 200;
  fastcgi.environment = {{"APP_ENV", "prod"}, {"PHP_FCGI_CHILDREN", "8"}, {"PHP_FCGI_MAX_REQUESTS", "50"}};
  fastcgi.max_instances = 4;
  // One child more than instances (the spare forked ahead); php-cgi never
  // counts requests: Gatehouse recycles each child at instance_max_requests.
  EXPECT_THAT(worker_environment(fastcgi),
              ElementsAre("APP_ENV=prod", "PHP_FCGI_CHILDREN=5", "PHP_FCGI_MAX_REQUESTS=0"));
  fastcgi.environment = {{"PHP_FCGI_MAX_REQUESTS", "10000"}};
  EXPECT_THAT(worker_environment(fastcgi), ElementsAre("PHP_FCGI_CHILDREN=5", "PHP_FCGI_MAX_REQUESTS=0"));
}

// As root a drop to a uid cannot fail, but a child that is not root cannot
// setgroups: run the spawner in a forked child that gave up root first.
TEST(SpawnWorker, ChildThatCannotDropReportsStepAndErrno) {
  TempDir tmp;
  auto dir = tmp.path() / "sockets";
  ASSERT_TRUE(ensure_socket_dir(dir).has_value());
  ::chown(dir.c_str(), 65534, 65534);
  pid_t tester = ::fork();
  if (tester == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
    SpawnSpec spec;
    spec.pool = "shop";
    spec.credentials = accounts::Identity{"gh-pool-shop", 0, 0, {}};
    auto spawned = spawn_worker(spec, dir / "shop-1.sock");
    if (!spawned) ::_exit(11);
    ChildReport report;
    if (!read_exact(spawned->status_pipe.get(), reinterpret_cast<char*>(&report), sizeof report)) ::_exit(12);
    ::waitpid(spawned->pid, nullptr, 0);
    auto error = child_report_error(spec, report);
    ::_exit(error.message().starts_with("[pool shop] ") && error.errnum == EPERM ? 0 : 13);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(tester, &status, 0), tester);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace gatehouse::pool::test

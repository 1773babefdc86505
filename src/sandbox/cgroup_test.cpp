// A pool's cgroup on the host's real hierarchy: a child that joins it cannot
// fork past the process limit, and the group is removed afterwards.
#include "sandbox/cgroup.hpp"

#include <gtest/gtest.h>

#include "sandbox/test_support.hpp"

namespace gatehouse::sandbox::test {
namespace {

TEST(Cgroup, LimitsDescribeInIisTerms) {
  EXPECT_EQ(describe(CgroupLimits{256ULL << 20, 96, 50}), "memory 256M, processes 96, cpu 50%");
  config::Pool pool;
  pool.fastcgi.max_instances = 4;
  EXPECT_EQ(limits_of(pool).max_processes, 4u * 16 + 32);  // on without configuration
}

TEST(Cgroup, ProcessLimitStopsAForkBombInThePoolOnly) {
  if (::geteuid() != 0 && !in_ci()) GTEST_SKIP() << "needs root";
  const CgroupHost host = detect_cgroups();
  ASSERT_NE(host.mode, CgroupMode::None) << "no cgroups mounted";
  auto group = PoolCgroup::create(host, "gatehouse-test-" + std::to_string(::getpid()), "bomb", CgroupLimits{0, 10, 0});
  ASSERT_TRUE(group) << group.error().message();
  const auto dirs = (*group)->dirs();
  const auto fds = (*group)->procs_fds();
  int forked = in_child([&] {
    if (join_cgroups(fds.data(), fds.size()) != 0) return 200;
    pid_t kids[50];
    int n = 0;
    for (; n < 50; ++n) {
      kids[n] = ::fork();
      if (kids[n] < 0) break;
      if (kids[n] == 0) {
        ::pause();
        ::_exit(0);
      }
    }
    for (int i = 0; i < n; ++i) {
      ::kill(kids[i], SIGKILL);
      ::waitpid(kids[i], nullptr, 0);
    }
    return n;
  });
  EXPECT_GE(forked, 5);
  EXPECT_LT(forked, 10);  // the limit counts the joining child too
  group->reset();
  for (const auto& d : dirs) EXPECT_FALSE(std::filesystem::exists(d)) << d;
}

}  // namespace
}  // namespace gatehouse::sandbox::test

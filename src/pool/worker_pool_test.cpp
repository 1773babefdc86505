// WorkerPool against real php-cgi: slots, queue, recycling, idle timeout,
// crashes, rapid-fail protection, php.ini watching, stop, no zombies.
#include "pool/worker_pool.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "pool/test_support.hpp"

namespace gatehouse::pool::test {
namespace {

using ::testing::HasSubstr;

class WorkerPoolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    h_.reset();
    EXPECT_TRUE(wait_until([] { return zombie_children().empty(); })) << "zombie children left";
  }
  Harness& h() { return *h_; }
  fs::path script(const std::string& name, const std::string& php) { return h().dir.write(name, php); }

  std::unique_ptr<Harness> h_ = std::make_unique<Harness>();
};

TEST_F(WorkerPoolTest, ServesPhpWithOnlyThePoolEnvironment) {
  ::setenv("GH_SERVER_SECRET", "leak", 1);
  auto ini = h().dir.write("php.ini", "memory_limit = 64M\n");
  auto pool = php_pool();
  pool.php_ini = ini;
  pool.fastcgi.environment = {{"APP_ENV", "test"}, {"PHP_FCGI_MAX_REQUESTS", "50"}};
  auto s = script("env.php",
                  "<?php echo 'umask=', decoct(umask()), ' pid=', getmypid(), ' mem=', "
                  "ini_get('memory_limit');");
  auto& wp = h().make_pool(pool);

  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value()) << lease.error().error.message();
  auto out = run_php(*lease, s);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(body_of(*out), "umask=7 pid=" + std::to_string(lease->pid()) + " mem=64M");
  EXPECT_EQ(proc_list(lease->pid(), "environ"),
            (std::vector<std::string>{"APP_ENV=test", "PHP_FCGI_CHILDREN=3", "PHP_FCGI_MAX_REQUESTS=0"}));
  // The instance is a child of the set's php-cgi parent, and the only parent.
  ASSERT_EQ(wp.stats().parents.size(), 1u);
  EXPECT_EQ(parent_of(lease->pid()), wp.stats().parents[0]);
  // OPcache checks the worker's own permission and root for every cached script
  EXPECT_EQ(proc_list(lease->pid(), "cmdline"),
            (std::vector<std::string>{"php-cgi", "-c", ini.string(), "-d", "opcache.validate_permission=1", "-d",
                                      "opcache.validate_root=1"}));
  EXPECT_THAT(fs::read_symlink(fs::path("/proc") / std::to_string(lease->pid()) / "fd/0").string(),
              HasSubstr("socket:"));
  struct stat st {};
  ASSERT_EQ(::stat((h().dir.path() / "sockets").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  // The same connection serves the next request (FCGI_KEEP_CONN).
  pid_t pid = lease->pid();
  lease->release();
  auto again = h().acquire(wp);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pid(), pid);
  EXPECT_EQ(again->served_before(), 1u);
  EXPECT_TRUE(run_php(*again, s).has_value());
  ::unsetenv("GH_SERVER_SECRET");
}

TEST_F(WorkerPoolTest, MaxInstancesBoundsWorkersAndQueueIsFifo) {
  auto pool = php_pool();
  pool.fastcgi.max_instances = 2;
  auto& wp = h().make_pool(pool);
  std::vector<std::optional<AcquireResult>> slots(5);
  for (auto& slot : slots) h().start_acquire(wp, slot);
  h().run_until([&] { return slots[0] && slots[1]; });
  h().run_until([] { return false; }, 200ms);
  ASSERT_TRUE(slots[0] && slots[0]->has_value());
  ASSERT_TRUE(slots[1] && slots[1]->has_value());
  EXPECT_FALSE(slots[2] || slots[3] || slots[4]);
  EXPECT_EQ(wp.stats().queued, 3u);
  EXPECT_EQ(wp.stats().pids.size(), 2u);

  pid_t freed = (*slots[1])->pid();
  (*slots[1])->release();
  h().run_until([&] { return slots[2].has_value(); });
  ASSERT_TRUE(slots[2] && slots[2]->has_value());
  EXPECT_EQ((*slots[2])->pid(), freed);
  EXPECT_FALSE(slots[3] || slots[4]);  // FIFO: 3 and 4 still wait

  auto s = script("hello.php", "<?php echo 'hello';");
  for (int i : {0, 2}) {
    EXPECT_EQ(body_of(run_php(**slots[i], s).value_or("")), "hello");
    (*slots[i])->release();
  }
  h().run_until([&] { return slots[3] && slots[4]; });
  ASSERT_TRUE(slots[3]->has_value() && slots[4]->has_value());
  EXPECT_LE(wp.stats().pids.size(), 2u);
}

TEST_F(WorkerPoolTest, FullQueueIsRefusedAt503) {
  auto pool = php_pool();
  pool.fastcgi.max_instances = 1;
  pool.fastcgi.queue_length = 1;
  auto& wp = h().make_pool(pool);
  std::optional<AcquireResult> first, second, third;
  h().start_acquire(wp, first);
  h().start_acquire(wp, second);
  h().start_acquire(wp, third);
  h().run_until([&] { return first && third; });
  ASSERT_TRUE(first && first->has_value());
  ASSERT_TRUE(third.has_value());
  ASSERT_FALSE(third->has_value());
  EXPECT_EQ(third->error().reason, AcquireFailure::QueueFull);
  EXPECT_EQ(third->error().http_status(), 503);
  EXPECT_THAT(third->error().error.message(), HasSubstr("queue full"));
  EXPECT_FALSE(second.has_value());
  (*first)->release();
  h().run_until([&] { return second.has_value(); });
  EXPECT_TRUE(second && second->has_value());
}

TEST_F(WorkerPoolTest, InstanceMaxRequestsRecyclesTheWorker) {
  auto pool = php_pool();
  pool.fastcgi.instance_max_requests = 2;
  auto& wp = h().make_pool(pool);
  auto s = script("hello.php", "<?php echo 'hello';");
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    auto lease = h().acquire(wp);
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(body_of(run_php(*lease, s).value_or("")), "hello");
    pids.push_back(lease->pid());
    lease->release();
  }
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_NE(pids[1], pids[2]);
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }));
  EXPECT_EQ(wp.stats().failures, 0u);
}

TEST_F(WorkerPoolTest, IdleWorkersStopAfterIdleTimeout) {
  PoolOptions options;
  options.idle_timeout = 300ms;
  options.housekeeping_interval = 50ms;
  auto& wp = h().make_pool(php_pool(), options);
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value());
  pid_t pid = lease->pid();
  lease->release();
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(process_exists(pid));
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid) && wp.stats().pids.empty(); }, 3000ms));
  EXPECT_EQ(wp.stats().failures, 0u);
}

// A set that is not kept warm (an impersonated account's) stops its php-cgi
// parent too once idle: nothing stays per idle user.
TEST_F(WorkerPoolTest, AColdSetStopsItsParentWhenIdle) {
  PoolOptions options;
  options.idle_timeout = 300ms;
  options.housekeeping_interval = 50ms;
  options.keep_warm = false;
  auto& wp = h().make_pool(php_pool(), options);
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value());
  pid_t parent = parent_of(lease->pid());
  lease->release();
  EXPECT_TRUE(wait_until([&] { return !process_exists(parent) && wp.stats().parents.empty(); }, 3000ms));
  EXPECT_EQ(wp.stats().failures, 0u);
  auto again = h().acquire(wp);  // and the next request starts a new one
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(parent_of(again->pid()), parent);
}

TEST_F(WorkerPoolTest, WorkerKilledMidRequestCostsOnlyThatRequest) {
  auto& wp = h().make_pool(php_pool());
  auto slow = script("slow.php", "<?php sleep(5); echo 'late';");
  auto hello = script("hello.php", "<?php echo 'hello';");
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value());
  pid_t pid = lease->pid();
  std::thread killer([pid] {
    std::this_thread::sleep_for(300ms);
    ::kill(pid, SIGKILL);
  });
  EXPECT_FALSE(run_php(*lease, slow).has_value());
  killer.join();
  lease->fail();

  auto next = h().acquire(wp);
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->pid(), pid);
  EXPECT_EQ(body_of(run_php(*next, hello).value_or("")), "hello");
  next->release();
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }));
  EXPECT_EQ(wp.stats().failures, 1u);
  EXPECT_FALSE(wp.stats().offline);
}

TEST_F(WorkerPoolTest, ExecFailureIsReportedWithStepAndErrno) {
  auto pool = php_pool();
  pool.php_cgi = h().dir.path() / "no-such-php-cgi";
  auto& wp = h().make_pool(pool);
  auto lease = h().acquire(wp);
  ASSERT_FALSE(lease.has_value());
  EXPECT_EQ(lease.error().reason, AcquireFailure::StartFailed);
  EXPECT_EQ(lease.error().http_status(), 502);
  EXPECT_EQ(lease.error().error.message(),
            "[pool t] execve " + pool.php_cgi.string() + " failed: No such file or directory");
}

TEST_F(WorkerPoolTest, RapidFailsTakeThePoolOfflineThenItRecovers) {
  auto wrapper = h().dir.write("php-cgi.sh", "#!/bin/sh\nexit 1\n", fs::perms(0755));
  auto pool = php_pool();
  pool.php_cgi = wrapper;
  pool.fastcgi.rapid_fails_per_minute = 3;
  PoolOptions options;
  options.offline_cooldown = 700ms;
  options.housekeeping_interval = 50ms;
  auto& wp = h().make_pool(pool, options);
  auto hello = script("hello.php", "<?php echo 'hello';");

  std::optional<AcquireError> offline;
  for (int i = 0; i < 10 && !offline; ++i) {
    auto lease = h().acquire(wp);
    if (lease.has_value()) {
      EXPECT_FALSE(run_php(*lease, hello).has_value());
      lease->fail();
      h().run_until([] { return false; }, 50ms);
    } else if (lease.error().reason == AcquireFailure::Offline) {
      offline = lease.error();
    }
  }
  ASSERT_TRUE(offline.has_value()) << "never went offline";
  EXPECT_EQ(offline->http_status(), 503);
  EXPECT_THAT(offline->error.message(), HasSubstr("pool offline"));
  EXPECT_TRUE(wp.stats().offline);
  EXPECT_GE(wp.stats().failures, 3u);

  h().dir.write("php-cgi.sh", "#!/bin/sh\nexec /usr/bin/php-cgi \"$@\"\n", fs::perms(0755));
  std::this_thread::sleep_for(800ms);
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value()) << lease.error().error.message();
  EXPECT_EQ(body_of(run_php(*lease, hello).value_or("")), "hello");
  lease->release();
  EXPECT_FALSE(wp.stats().offline);
}

TEST_F(WorkerPoolTest, PhpIniChangeRecyclesGracefully) {
  auto ini = h().dir.write("php.ini", "memory_limit = 64M\n");
  auto pool = php_pool();
  pool.php_ini = ini;
  pool.fastcgi.monitor_changes_to = ini;
  PoolOptions options;
  options.housekeeping_interval = 50ms;
  auto& wp = h().make_pool(pool, options);
  auto mem = script("mem.php", "<?php echo ini_get('memory_limit');");

  std::optional<AcquireResult> busy, idle;
  h().start_acquire(wp, busy);
  h().start_acquire(wp, idle);
  h().run_until([&] { return busy && idle; });
  ASSERT_TRUE(busy->has_value() && idle->has_value());
  EXPECT_EQ(body_of(run_php(**idle, mem).value_or("")), "64M");
  pid_t idle_pid = (*idle)->pid(), busy_pid = (*busy)->pid();
  (*idle)->release();
  std::this_thread::sleep_for(100ms);

  h().dir.write("php.ini", "memory_limit = 96M\n");
  EXPECT_TRUE(wait_until([&] { return !process_exists(idle_pid); }, 3000ms)) << "idle worker not recycled";
  EXPECT_TRUE(process_exists(busy_pid));  // its request finishes first
  EXPECT_EQ(body_of(run_php(**busy, mem).value_or("")), "64M");
  (*busy)->release();
  EXPECT_TRUE(wait_until([&] { return !process_exists(busy_pid); }, 3000ms));

  auto fresh = h().acquire(wp);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_NE(fresh->pid(), busy_pid);
  EXPECT_NE(fresh->pid(), idle_pid);
  EXPECT_EQ(body_of(run_php(*fresh, mem).value_or("")), "96M");
}

TEST_F(WorkerPoolTest, StopFailsWaitersAndReapsEveryWorker) {
  auto pool = php_pool();
  pool.fastcgi.max_instances = 1;
  PoolOptions options;
  options.stop_grace = 500ms;
  auto& wp = h().make_pool(pool, options);
  auto slow = script("slow.php", "<?php sleep(30);");
  std::optional<AcquireResult> first, waiting;
  h().start_acquire(wp, first);
  h().start_acquire(wp, waiting);
  h().run_until([&] { return first.has_value(); });
  ASSERT_TRUE(first->has_value());
  pid_t pid = (*first)->pid();
  // SIGTERM interrupts sleep(): php-cgi ends the request, then exits.
  std::thread request([&] { run_php(**first, slow); });
  std::this_thread::sleep_for(200ms);

  h().stop(wp);
  request.join();
  h().run_until([&] { return waiting.has_value(); });
  ASSERT_TRUE(waiting && !waiting->has_value());
  EXPECT_EQ(waiting->error().reason, AcquireFailure::Stopped);
  EXPECT_FALSE(process_exists(pid));
  EXPECT_TRUE(wp.stats().pids.empty());
  (*first)->abandon();
  auto after = h().acquire(wp);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().reason, AcquireFailure::Stopped);
}

TEST_F(WorkerPoolTest, WorkerRunsAsTheGivenAccountWithoutPrivileges) {
  if (::geteuid() != 0) {
    if (std::getenv("CI")) FAIL() << "needs root, and CI runs as root";
    GTEST_SKIP() << "needs root";
  }
  accounts::Identity nobody{"nobody", 65534, 65534, {65534}};
  auto& wp = h().make_pool(php_pool(), {}, nobody);
  auto who = script("who.php", "<?php echo posix_geteuid(), ':', posix_getegid();");
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value()) << lease.error().error.message();
  std::string status = slurp(fs::path("/proc") / std::to_string(lease->pid()) / "status");
  EXPECT_THAT(status, HasSubstr("Uid:\t65534\t65534\t65534\t65534"));
  EXPECT_THAT(status, HasSubstr("Gid:\t65534\t65534\t65534\t65534"));
  EXPECT_THAT(status, HasSubstr("Groups:\t65534"));
  EXPECT_THAT(status, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(status, HasSubstr("CapEff:\t0000000000000000"));
  auto out = run_php(*lease, who);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(body_of(*out), "65534:65534");
}

// Two instances at once are two children of one php-cgi parent, and see one
// APCu (issue 15): the second increment sees the first.
TEST_F(WorkerPoolTest, InstancesOfASetShareApcu) {
  auto& wp = h().make_pool(php_pool());
  auto inc = script("inc.php", "<?php echo apcu_inc('gh-shared', 1, $ok, 60);");
  std::optional<AcquireResult> a, b;
  h().start_acquire(wp, a);
  h().start_acquire(wp, b);
  h().run_until([&] { return a && b; });
  ASSERT_TRUE(a && a->has_value() && b && b->has_value());
  EXPECT_NE((*a)->pid(), (*b)->pid());
  ASSERT_EQ(wp.stats().parents.size(), 1u);
  EXPECT_EQ(parent_of((*a)->pid()), wp.stats().parents[0]);
  EXPECT_EQ(parent_of((*b)->pid()), wp.stats().parents[0]);
  EXPECT_EQ(body_of(run_php(**a, inc).value_or("")), "1");
  EXPECT_EQ(body_of(run_php(**b, inc).value_or("")), "2");
  EXPECT_EQ(wp.stats().php_starts, 1u);
}

// The parent started ahead of any request read php.ini before it changed
// (as when `perms apply` grants it after `serve` started): the first request
// gets a fresh parent that reads the new one.
TEST_F(WorkerPoolTest, APrestartedParentWhosePhpIniChangedIsReplacedAtTheFirstRequest) {
  auto ini = h().dir.write("php.ini", "memory_limit = 64M\n");
  auto pool = php_pool();
  pool.php_ini = ini;
  auto& wp = h().make_pool(pool);
  auto mem = script("mem.php", "<?php echo ini_get('memory_limit');");
  ASSERT_TRUE(wait_until([&] { return wp.stats().idle == 1; }));
  pid_t first_parent = wp.stats().parents.at(0);
  std::this_thread::sleep_for(20ms);
  h().dir.write("php.ini", "memory_limit = 96M\n");
  auto lease = h().acquire(wp);
  ASSERT_TRUE(lease.has_value()) << lease.error().error.message();
  EXPECT_EQ(body_of(run_php(*lease, mem).value_or("")), "96M");
  EXPECT_NE(parent_of(lease->pid()), first_parent);
  lease->release();
  EXPECT_TRUE(wait_until([&] { return !process_exists(first_parent); }));
  // Unchanged, the prestarted parent serves the first request itself.
  pool.name = "u";  // sockets of its own
  auto& same = h().make_pool(pool);
  ASSERT_TRUE(wait_until([&] { return same.stats().idle == 1; }));
  pid_t prestarted = same.stats().parents.at(0);
  auto first = h().acquire(same);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(parent_of(first->pid()), prestarted);
  EXPECT_EQ(same.stats().php_starts, 1u);
}

}  // namespace
}  // namespace gatehouse::pool::test

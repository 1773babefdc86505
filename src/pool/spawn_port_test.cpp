// WorkerPool goes through its SpawnPort for every start, connection, child
// lookup, signal and reap (the seam the privilege split of issue 9 cuts): a
// recording port around the local one.
#include "pool/spawn_port.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

#include "pool/test_support.hpp"
#include "pool/worker_pool.hpp"

namespace gatehouse::pool::test {
namespace {

class RecordingPort final : public SpawnPort {
 public:
  Result<SpawnedHandle> spawn(const SpawnSpec& spec, const std::filesystem::path& socket_path) override {
    ++spawns;
    pool = spec.pool;
    if (refuse) return std::unexpected(Error::logic("spawn", spec.pool, "refused by the supervisor"));
    return LocalSpawnPort::instance().spawn(spec, socket_path);
  }
  void kill(const SpawnedHandle& worker, int signal) override {
    signals.push_back(signal);
    LocalSpawnPort::instance().kill(worker, signal);
  }
  std::optional<int> reap(const SpawnedHandle& worker) override {
    auto status = LocalSpawnPort::instance().reap(worker);
    if (status) ++reaps;
    return status;
  }
  Result<UniqueFd> connect(const SpawnedHandle& parent) override {
    ++connects;
    return LocalSpawnPort::instance().connect(parent);
  }
  Result<std::optional<AcceptedChild>> accepted_by(const SpawnedHandle& parent, int connection) override {
    auto child = LocalSpawnPort::instance().accepted_by(parent, connection);
    if (child && *child) ++children;
    return child;
  }
  void kill_child(std::uint64_t worker, int pidfd, int signal) override {
    child_signals.push_back(signal);
    LocalSpawnPort::instance().kill_child(worker, pidfd, signal);
  }
  void kill_group(const SpawnedHandle& parent, int signal) override {
    LocalSpawnPort::instance().kill_group(parent, signal);
  }
  std::optional<FileStamp> php_ini_stamp(const SpawnSpec& spec) override {
    return LocalSpawnPort::instance().php_ini_stamp(spec);
  }

  std::atomic<int> spawns = 0, reaps = 0, connects = 0, children = 0;
  std::atomic<bool> refuse = false;
  std::string pool;
  std::vector<int> signals;
  std::vector<int> child_signals;
};

TEST(SpawnPortTest, TheWorkerPoolStartsSignalsAndReapsThroughItsPort) {
  RecordingPort port;
  {
    Harness h;
    PoolOptions options;
    options.spawn_port = &port;
    auto& wp = h.make_pool(php_pool("seam"), options);
    auto script = h.dir.write("a.php", "<?php echo 'ok';");
    auto lease = h.acquire(wp);
    ASSERT_TRUE(lease.has_value()) << lease.error().error.message();
    ASSERT_TRUE(run_php(*lease, script).has_value());
    lease->release();
    h.stop(wp);
    EXPECT_TRUE(wait_until([&] { return port.reaps.load() == 1; }));
  }
  EXPECT_EQ(port.spawns.load(), 1);    // one php-cgi parent
  EXPECT_GE(port.children.load(), 1);  // the child that took the instance, found through the port
  EXPECT_EQ(port.pool, "seam");
  EXPECT_EQ(port.reaps.load(), 1);
  ASSERT_FALSE(port.signals.empty());
  EXPECT_EQ(port.signals.front(), SIGTERM);
}

TEST(SpawnPortTest, ARefusedSpawnIsAStartFailure502) {
  RecordingPort port;
  port.refuse = true;
  Harness h;
  PoolOptions options;
  options.spawn_port = &port;
  auto& wp = h.make_pool(php_pool("refused"), options);
  auto lease = h.acquire(wp);
  ASSERT_FALSE(lease.has_value());
  EXPECT_EQ(lease.error().http_status(), 502);
  EXPECT_NE(lease.error().error.message().find("refused by the supervisor"), std::string::npos);
  EXPECT_GE(port.spawns.load(), 1);
}

}  // namespace
}  // namespace gatehouse::pool::test

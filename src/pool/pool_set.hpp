// Every worker set of a configuration, keyed by (pool, identity), and the
// manager thread they all live on. The one object the server holds.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <compare>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "accounts/grant.hpp"
#include "accounts/identity.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "pool/worker_pool.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::pool {

// The Landlock rules of a worker set, compiled elsewhere (cli: from the
// permission plan, which pool/ does not know). nullopt: no Landlock.
using SandboxResolver =
    std::function<Result<std::optional<sandbox::Spec>>(const config::Pool&, const std::string& account)>;

struct PoolSetOptions {
  std::filesystem::path socket_dir;  // empty: <state_dir>/sockets
  PoolOptions pool;                  // timings and test overrides for every set
  // The account a worker set runs as (accounts/ decides; see grant.hpp),
  // called when a set is made and again before each of its workers starts.
  // Empty: the server's own account.
  accounts::WorkerResolver resolve;
  SandboxResolver sandbox;                 // empty: no Landlock
  std::filesystem::path private_dir_root;  // empty: <state_dir>/workers (used with a sandbox)
  // A cgroup per pool with its limits (a process-count limit always). Needs
  // root; when the host has no usable cgroups the pools run without, loudly.
  bool cgroups = false;
  // Who starts the workers (must outlive the set). nullptr: this process.
  // Given, the port's owner prepares sockets, private folders and cgroups:
  // the set neither checks socket_dir nor makes folders (the front, issue 9).
  SpawnPort* spawn_port = nullptr;
  // Workers (php-cgi parents) already running, by set: a front restarted
  // after a crash takes over the previous one's (they keep their caches).
  std::shared_ptr<Adoptions> adopt;
};

// A configured pool and the snapshots of its worker sets (one per account
// with fastcgi.impersonate), for `gatehouse status`.
struct PoolReport {
  std::string name;
  std::vector<std::pair<std::string, PoolStats>> sets;  // account, stats
};

class PoolSet {
 public:
  // Checks (and creates) the socket folder, resolves each pool's own identity
  // and starts the manager thread. Workers start on demand.
  static Result<std::unique_ptr<PoolSet>> create(const config::Config& config, PoolSetOptions options);
  PoolSet(const PoolSet&) = delete;
  PoolSet& operator=(const PoolSet&) = delete;
  ~PoolSet();  // stop()

  // The worker set for (pool, account); with fastcgi.impersonate = 1 the
  // handler asks for (pool, request account) and gets a set of its own. Sets
  // are made on first use. Errors: unknown pool, account that cannot be resolved.
  Result<WorkerPool*> get(const accounts::WorkerKey& key);
  WorkerPool* find(std::string_view pool_name);  // the pool's own account's set, or nullptr

  // Every configured pool, in configuration order. Safe from any thread.
  std::vector<PoolReport> report();
  // Recycles gracefully every worker set of `pool_name` (see WorkerPool::recycle);
  // returns how many sets, or an error for an unknown pool.
  Result<std::size_t> recycle(std::string_view pool_name);

  // Reload: `pools` become the configured pools and `sandbox` their Landlock
  // rules. The worker sets of the pools named in `retire` (removed, or whose
  // settings or php.ini changed) leave the set and recycle: idle workers stop
  // now, busy ones after their request; a request for such a pool from now on
  // gets a new set, made from the new settings. Returns the sets that left,
  // for stop_sets once no request can reach them any more.
  std::vector<WorkerPool*> update(std::vector<config::Pool> pools, SandboxResolver sandbox,
                                  const std::vector<std::string>& retire);
  // Stops sets that update() returned (their workers get SIGTERM, then SIGKILL
  // after stop_grace); they are destroyed with the PoolSet.
  void stop_sets(const std::vector<WorkerPool*>& sets);

  // Stops every worker set and waits until each worker is reaped. Blocks:
  // call it from the main thread at shutdown, never from an I/O thread.
  void stop();

 private:
  PoolSet(const config::Config& config, PoolSetOptions options);
  Result<WorkerPool*> make_locked(const config::Pool& pool, const std::string& account);
  void make_cgroups();
  Result<std::filesystem::path> private_dir(const std::string& name, const accounts::Identity& credentials);

  std::vector<config::Pool> pools_config_;
  PoolSetOptions options_;
  boost::asio::io_context manager_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mutex_;  // guards sets_ (get() runs on I/O threads)
  // pool name -> its groups; declared before sets_ so they are removed after the workers are gone
  std::map<std::string, std::unique_ptr<sandbox::PoolCgroup>> cgroups_;
  std::map<accounts::WorkerKey, std::unique_ptr<WorkerPool>> sets_;
  std::vector<std::unique_ptr<WorkerPool>> retired_;  // left by update(): stopped, kept until the manager ends
  unsigned reloads_ = 0;                              // a set made after a reload gets new socket names
  bool stopped_ = false;
};

}  // namespace gatehouse::pool

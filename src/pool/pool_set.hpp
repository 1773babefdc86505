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

#include "common/error.hpp"
#include "config/model.hpp"
#include "pool/worker_pool.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::pool {

// identity "" is the pool's own identity; with fastcgi.impersonate = 1 the
// handler asks for (pool, request account) and gets a worker set of its own.
struct PoolKey {
  std::string pool;
  std::string identity;
  auto operator<=>(const PoolKey&) const = default;
};

// The account a worker set runs as. Supplied by accounts/ (account creation
// and lookup are theirs); the default runs workers as the server's account.
// Called when a set is made and again before each of its workers starts.
using CredentialResolver = std::function<Result<Credentials>(const config::Pool&, const std::string& identity)>;

// The Landlock rules of a worker set, compiled elsewhere (cli: from the
// permission plan, which pool/ does not know). nullopt: no Landlock.
using SandboxResolver =
    std::function<Result<std::optional<sandbox::Spec>>(const config::Pool&, const std::string& identity)>;

struct PoolSetOptions {
  std::filesystem::path socket_dir;  // empty: <state_dir>/sockets
  PoolOptions pool;                  // timings and test overrides for every set
  CredentialResolver resolve;        // empty: the server's own account
  SandboxResolver sandbox;           // empty: no Landlock
  std::filesystem::path private_dir_root;  // empty: <state_dir>/workers (used with a sandbox)
  // A cgroup per pool with its limits (a process-count limit always). Needs
  // root; when the host has no usable cgroups the pools run without, loudly.
  bool cgroups = false;
};

class PoolSet {
 public:
  // Checks (and creates) the socket folder, resolves each pool's own identity
  // and starts the manager thread. Workers start on demand.
  static Result<std::unique_ptr<PoolSet>> create(const config::Config& config, PoolSetOptions options);
  PoolSet(const PoolSet&) = delete;
  PoolSet& operator=(const PoolSet&) = delete;
  ~PoolSet();  // stop()

  // The worker set for a key; sets for other identities are made on first
  // use. Errors: unknown pool, identity that cannot be resolved.
  Result<WorkerPool*> get(const PoolKey& key);
  WorkerPool* find(std::string_view pool_name);  // the pool's own identity, or nullptr

  // Stops every worker set and waits until each worker is reaped. Blocks:
  // call it from the main thread at shutdown, never from an I/O thread.
  void stop();

 private:
  PoolSet(const config::Config& config, PoolSetOptions options);
  Result<WorkerPool*> make_locked(const config::Pool& pool, const std::string& identity);
  void make_cgroups();
  Result<std::filesystem::path> private_dir(const std::string& name, const Credentials& credentials);

  std::vector<config::Pool> pools_config_;
  PoolSetOptions options_;
  boost::asio::io_context manager_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mutex_;  // guards sets_ (get() runs on I/O threads)
  // pool name -> its groups; declared before sets_ so they are removed after the workers are gone
  std::map<std::string, std::unique_ptr<sandbox::PoolCgroup>> cgroups_;
  std::map<PoolKey, std::unique_ptr<WorkerPool>> sets_;
  bool stopped_ = false;
};

}  // namespace gatehouse::pool

// PoolSet: builds the WorkerPools of a configuration and runs their manager thread.
#include "pool/pool_set.hpp"

#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>

#include "accounts/names.hpp"
#include "common/log.hpp"

namespace gatehouse::pool {

Result<std::unique_ptr<PoolSet>> PoolSet::create(const config::Config& config, PoolSetOptions options) {
  if (options.socket_dir.empty()) options.socket_dir = config.server.state_dir / "sockets";
  if (options.private_dir_root.empty()) options.private_dir_root = config.server.state_dir / "workers";
  if (!options.spawn_port)
    if (auto ok = ensure_socket_dir(options.socket_dir); !ok) return std::unexpected(ok.error());
  std::unique_ptr<PoolSet> set(new PoolSet(config, std::move(options)));
  std::lock_guard lock(set->mutex_);
  if (set->options_.cgroups) set->make_cgroups();
  for (const auto& pool : set->pools_config_)
    if (auto made = set->make_locked(pool, accounts::pool_account(pool)); !made) return std::unexpected(made.error());
  return set;
}

PoolSet::PoolSet(const config::Config& config, PoolSetOptions options)
    : pools_config_(config.pools),
      options_(std::move(options)),
      work_(manager_.get_executor()),
      thread_([this] { manager_.run(); }) {}

PoolSet::~PoolSet() { stop(); }

// Limits degrade with a warning rather than stop the server: a host without
// cgroups (or a container without write access to them) still serves.
void PoolSet::make_cgroups() {
  const auto host = sandbox::detect_cgroups();
  if (host.mode == sandbox::CgroupMode::None) {
    log::warn("no cgroup controllers are mounted: pools run WITHOUT memory, process or CPU limits");
    return;
  }
  if (!host.missing.empty())
    log::warn("cgroup controllers missing ({}): those limits are not enforced", fmt::join(host.missing, ", "));
  const std::string instance = "gatehouse-" + std::to_string(::getpid());
  for (const auto& pool : pools_config_) {
    if (cgroups_.contains(pool.name)) continue;  // a reload keeps a kept pool's group
    const auto limits = sandbox::limits_of(pool);
    auto group = sandbox::PoolCgroup::create(host, instance, pool.name, limits);
    if (!group) {
      log::warn("[pool {}] cannot set up its cgroup ({}): it runs WITHOUT limits", pool.name, group.error().message());
      continue;
    }
    log::info("[pool {}] {} limits: {}", pool.name, sandbox::to_string(host.mode), sandbox::describe(limits));
    cgroups_[pool.name] = std::move(*group);
  }
}

// <state_dir>/workers/<pool[.identity]>: 0700, owned by the account the
// set's workers run as, for what PHP must write whatever its php.ini says
// (OPcache's lock, temporary files); no other worker set can enter it.
Result<std::filesystem::path> PoolSet::private_dir(const std::string& name, const accounts::Identity& credentials) {
  const auto base = options_.private_dir_root;
  const auto dir = base / name;
  if (::mkdir(base.c_str(), 0711) < 0 && errno != EEXIST) return std::unexpected(Error::sys("mkdir", base));
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return std::unexpected(Error::sys("mkdir", dir));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
    return std::unexpected(Error::logic("use worker folder", dir, "not a directory (or a symlink)"));
  if (credentials.switches() && ::lchown(dir.c_str(), credentials.uid, credentials.gid) < 0)
    return std::unexpected(Error::sys("chown", dir));
  if (::chmod(dir.c_str(), 0700) < 0) return std::unexpected(Error::sys("chmod", dir));
  return dir;
}

Result<WorkerPool*> PoolSet::make_locked(const config::Pool& pool, const std::string& account) {
  accounts::Identity credentials;
  if (options_.resolve) {
    auto resolved = options_.resolve(pool, account);
    if (!resolved) return std::unexpected(resolved.error());
    credentials = std::move(*resolved);
  }
  PoolOptions options = options_.pool;
  options.socket_dir = options_.socket_dir;
  options.spawn_port = options_.spawn_port;
  const bool own = account == accounts::pool_account(pool);
  options.socket_prefix = own ? pool.name : pool.name + "." + account;
  const std::string folder = options.socket_prefix;
  // Sockets of a set made after a reload never share a name with a retiring set's.
  if (reloads_ != 0) options.socket_prefix += ".r" + std::to_string(reloads_);
  options.keep_warm = own;  // one warm parent per pool, not one per impersonated user
  if (options_.resolve)     // resolved here once to refuse a bad account early, then again before each spawn
    options.resolve_credentials = [resolve = options_.resolve, pool, account] { return resolve(pool, account); };
  SpawnSpec spec = make_spawn_spec(pool, std::move(credentials));
  if (options_.sandbox) {
    auto rules = options_.sandbox(pool, account);
    if (!rules) return std::unexpected(rules.error());
    spec.sandbox = std::move(*rules);
    auto dir = private_dir(folder, spec.credentials);
    if (!dir) return std::unexpected(dir.error());
    spec.php_defines = worker_php_defines(pool, *dir);
    if (spec.sandbox)
      spec.sandbox->add(*dir, sandbox::Access::kRead | sandbox::Access::kWrite, "the worker set's own folder");
  }
  if (auto it = cgroups_.find(pool.name); it != cgroups_.end())
    spec.cgroup_procs.assign(it->second->procs_fds().begin(), it->second->procs_fds().end());
  auto set = std::make_unique<WorkerPool>(manager_.get_executor(), std::move(spec), pool.fastcgi, std::move(options));
  set->start();
  WorkerPool* raw = set.get();
  sets_.emplace(accounts::WorkerKey{pool.name, account}, std::move(set));
  return raw;
}

Result<WorkerPool*> PoolSet::get(const accounts::WorkerKey& key) {
  std::lock_guard lock(mutex_);
  if (auto it = sets_.find(key); it != sets_.end()) return it->second.get();
  if (stopped_) return std::unexpected(Error::logic("get worker set", key.pool, "stopping"));
  for (const auto& pool : pools_config_)
    if (pool.name == key.pool) return make_locked(pool, key.account);
  return std::unexpected(Error::logic("get worker set", key.pool, "no such pool"));
}

WorkerPool* PoolSet::find(std::string_view pool_name) {
  std::lock_guard lock(mutex_);
  for (const auto& pool : pools_config_) {
    if (pool.name != pool_name) continue;
    auto it = sets_.find(accounts::WorkerKey{pool.name, accounts::pool_account(pool)});
    return it == sets_.end() ? nullptr : it->second.get();
  }
  return nullptr;
}

std::vector<PoolReport> PoolSet::report() {
  std::vector<PoolReport> out;
  std::lock_guard lock(mutex_);  // stats() takes each set's own lock: never the other way round
  for (const auto& pool : pools_config_) {
    PoolReport r{pool.name, {}};
    for (const auto& [key, set] : sets_)
      if (key.pool == pool.name) {
        auto stats = set->stats();
        stats.instances = set->instances();
        r.sets.emplace_back(key.account, std::move(stats));
      }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::size_t> PoolSet::recycle(std::string_view pool_name) {
  std::lock_guard lock(mutex_);
  bool known = false;
  for (const auto& pool : pools_config_) known = known || pool.name == pool_name;
  if (!known) return std::unexpected(Error::logic("recycle", std::string(pool_name), "no such pool"));
  std::size_t n = 0;
  for (const auto& [key, set] : sets_)
    if (key.pool == pool_name) set->recycle(), ++n;
  return n;
}

std::vector<WorkerPool*> PoolSet::update(std::vector<config::Pool> pools, SandboxResolver sandbox,
                                         const std::vector<std::string>& retire) {
  std::lock_guard lock(mutex_);
  std::vector<WorkerPool*> left;
  for (auto it = sets_.begin(); it != sets_.end();) {
    if (std::find(retire.begin(), retire.end(), it->first.pool) == retire.end()) {
      ++it;
      continue;
    }
    it->second->recycle(RecycleReason::Reload);
    left.push_back(it->second.get());
    retired_.push_back(std::move(it->second));
    it = sets_.erase(it);
  }
  pools_config_ = std::move(pools);
  options_.sandbox = std::move(sandbox);
  ++reloads_;
  if (options_.cgroups) make_cgroups();
  return left;
}

void PoolSet::stop_sets(const std::vector<WorkerPool*>& sets) {
  for (WorkerPool* set : sets) set->async_stop([] {});
}

void PoolSet::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      auto remaining = std::make_shared<std::size_t>(sets_.size() + retired_.size());
      std::promise<void> all_stopped;
      auto future = all_stopped.get_future();
      if (*remaining == 0) all_stopped.set_value();
      for (auto& set : retired_)
        set->async_stop([remaining, &all_stopped] {
          if (--*remaining == 0) all_stopped.set_value();
        });
      // Each set's done callback runs on the manager thread, one at a time.
      for (auto& [key, set] : sets_)
        set->async_stop([remaining, &all_stopped] {
          if (--*remaining == 0) all_stopped.set_value();
        });
      future.wait();
    }
  }
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatehouse::pool

// PoolSet: builds the WorkerPools of a configuration and runs their manager thread.
#include "pool/pool_set.hpp"

#include <future>

#include "accounts/names.hpp"
#include "common/log.hpp"

namespace gatehouse::pool {

Result<std::unique_ptr<PoolSet>> PoolSet::create(const config::Config& config, PoolSetOptions options) {
  if (options.socket_dir.empty()) options.socket_dir = config.server.state_dir / "sockets";
  if (auto ok = ensure_socket_dir(options.socket_dir); !ok) return std::unexpected(ok.error());
  std::unique_ptr<PoolSet> set(new PoolSet(config, std::move(options)));
  std::lock_guard lock(set->mutex_);
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

Result<WorkerPool*> PoolSet::make_locked(const config::Pool& pool, const std::string& account) {
  accounts::Identity credentials;
  if (options_.resolve) {
    auto resolved = options_.resolve(pool, account);
    if (!resolved) return std::unexpected(resolved.error());
    credentials = std::move(*resolved);
  }
  PoolOptions options = options_.pool;
  options.socket_dir = options_.socket_dir;
  const bool own = account == accounts::pool_account(pool);
  options.socket_prefix = own ? pool.name : pool.name + "." + account;
  if (options_.resolve)  // resolved here once to refuse a bad account early, then again before each spawn
    options.resolve_credentials = [resolve = options_.resolve, pool, account] { return resolve(pool, account); };
  auto set = std::make_unique<WorkerPool>(manager_.get_executor(), make_spawn_spec(pool, std::move(credentials)),
                                          pool.fastcgi, std::move(options));
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

void PoolSet::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      auto remaining = std::make_shared<std::size_t>(sets_.size());
      std::promise<void> all_stopped;
      auto future = all_stopped.get_future();
      if (sets_.empty()) all_stopped.set_value();
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

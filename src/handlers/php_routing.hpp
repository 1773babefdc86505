// Per I/O thread: the pool set, the worker set of each (pool, account) and,
// per application, the identities of an anonymous request when no
// authentication gate decides them (both follow from the configuration, so
// they are resolved once, not per request), and the scripts found recently.
#pragma once

#include <utility>  // before Asio (see design.md)

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "accounts/identity.hpp"
#include "accounts/security_model.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "handlers/static_file.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::handlers {

class PhpRouting {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // `executor`: the I/O thread's, where pool completions are delivered.
  PhpRouting(const config::Config& config, pool::PoolSet& pools, boost::asio::any_io_executor executor)
      : config_(config), pools_(pools), executor_(std::move(executor)) {}

  const config::Config& config() const { return config_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  // Errors: the pool set cannot make the worker set (unknown pool or account).
  Result<pool::WorkerPool*> workers(const accounts::WorkerKey& key);
  Result<const accounts::RequestIdentities*> anonymous(const config::Site& site, const config::Application& app);

  // Scripts found (regular files, opened as `who`) less than kScriptMemory
  // ago: a burst of requests for one script costs one open under switched
  // credentials, not one each, and a change on disk is seen within that
  // time, as with the static file cache.
  static constexpr std::chrono::milliseconds kScriptMemory{250};
  bool script_found_recently(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                             SteadyTime now);
  void remember_script(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                       SteadyTime now);

 private:
  std::string_view script_key(const RootDir& root, std::string_view relative, const accounts::Identity& who);

  const config::Config& config_;
  pool::PoolSet& pools_;
  boost::asio::any_io_executor executor_;
  std::map<accounts::WorkerKey, pool::WorkerPool*> workers_;
  std::map<const config::Application*, accounts::RequestIdentities> anonymous_;
  std::map<std::string, SteadyTime, std::less<>> scripts_;
  std::string key_;
};

}  // namespace gatehouse::handlers

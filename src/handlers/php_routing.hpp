// Per I/O thread: the pool set, the worker set of each (pool, account) and,
// per application, the identities of an anonymous request when no
// authentication gate decides them (both follow from the configuration, so
// they are resolved once, not per request), and the scripts found recently.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (see design.md)

#include "accounts/identity.hpp"
#include "accounts/security_model.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "handlers/static_file.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::handlers {

// Why a script may not run where it lies: the folder, writable by the PHP
// identity, that the permission plan names (issue 10: no PHP from a folder
// the pool can write). Computed by the server from perms/ at start.
struct ScriptBan {
  std::filesystem::path folder;
  std::string reason;  // "writable folder of site shop", "upload_tmp_dir in /srv/shop/php.ini"
};
using ScriptPolicy = std::function<std::optional<ScriptBan>(const std::string& pool, std::string_view script)>;

class PhpRouting {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // `executor`: the I/O thread's, where pool completions are delivered.
  PhpRouting(const config::Config& config, pool::PoolSet& pools, boost::asio::any_io_executor executor)
      : config_(config), pools_(pools), executor_(std::move(executor)) {}

  const config::Config& config() const { return config_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  // Where request bodies past BodyBuffer::kInMemory go: <state_dir>/bodies,
  // a folder only the server may enter (serve makes it 0700).
  std::filesystem::path body_dir() const { return config_.server.state_dir / "bodies"; }

  // Empty (the default): every script may run.
  void set_script_policy(ScriptPolicy policy) { script_policy_ = std::move(policy); }
  std::optional<ScriptBan> script_ban(const std::string& pool, std::string_view script) const {
    if (!script_policy_) return std::nullopt;
    return script_policy_(pool, script);
  }
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
  void remember_script(const RootDir& root, std::string_view relative, const accounts::Identity& who, SteadyTime now);

 private:
  std::string_view script_key(const RootDir& root, std::string_view relative, const accounts::Identity& who);

  const config::Config& config_;
  pool::PoolSet& pools_;
  boost::asio::any_io_executor executor_;
  ScriptPolicy script_policy_;
  std::map<accounts::WorkerKey, pool::WorkerPool*> workers_;
  std::map<const config::Application*, accounts::RequestIdentities> anonymous_;
  std::map<std::string, SteadyTime, std::less<>> scripts_;
  std::string key_;
};

}  // namespace gatehouse::handlers

// Reload (SIGHUP, `gatehouse reload`): reads the configuration file again
// and, when it is valid, applies the difference through a new snapshot that
// the I/O threads take for their next requests (http/snapshot.hpp). In-flight
// requests keep theirs; the worker sets of removed or changed pools recycle
// with overlap and stop once no request can reach them, or after
// shutdown_timeout. An invalid file changes nothing.
//
// The step itself is reload::next_generation (old generation, new config) ->
// new generation + actions; the Reloader runs it, applies the actions and
// retires old generations on its own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "http/auth_gate.hpp"
#include "http/server.hpp"
#include "pool/pool_set.hpp"
#include "reload/diff.hpp"

namespace gatehouse::reload {

// What only the command line knows how to make for a configuration (accounts
// as root, the permission plan's sandboxes and script bans, the gate's mode).
struct Builders {
  std::function<config::Config(const std::string& file)> load;  // throws config::ConfigError
  std::function<Status(const config::Config&)> provision;       // accounts; empty: nothing to do
  std::function<Result<std::unique_ptr<http::AuthGate>>(const config::Config&)> gate;
  std::function<pool::SandboxResolver(const config::Config&)> sandbox;
  std::function<http::PhpFactory(std::shared_ptr<const config::Config>)> php;
};

struct Outcome {
  bool ok = false;
  std::vector<std::string> errors;   // "file:line:column: key 'x': ..." or what failed
  std::vector<std::string> changes;  // what the reload did
  std::vector<std::string> warnings;
};

class Reloader {
 public:
  // `first`: the configuration serve started with (it outlives the reloader).
  Reloader(std::string file, const config::Config& first, http::Server& server, pool::PoolSet& pools,
           Builders builders);
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;
  ~Reloader();  // stop()

  // Any thread; one reload at a time. Logs every error and change.
  Outcome reload();
  // Stops the housekeeping thread and the gates of the generations it made.
  // After the HTTP server and the pools stopped.
  void stop();

 private:
  struct Generation {
    std::shared_ptr<const config::Config> config;
    IniDigests ini;
    std::unique_ptr<http::AuthGate> gate;  // nullptr for the first: serve owns it
    std::shared_ptr<const http::Snapshot> snapshot;
  };
  struct Retired {
    std::vector<pool::WorkerPool*> sets;
    std::chrono::steady_clock::time_point deadline;
  };
  Outcome apply(std::shared_ptr<const config::Config> next);
  void housekeeping();
  void collect();

  std::string file_;
  http::Server& server_;
  pool::PoolSet& pools_;
  Builders builders_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  Generation current_;
  std::vector<Generation> old_;  // still pinned by requests in flight (or idle keep-alive connections)
  std::vector<Retired> retired_;
  std::thread thread_;
};

}  // namespace gatehouse::reload

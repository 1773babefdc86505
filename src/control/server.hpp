// The control socket of a running `gatehouse serve`: one thread that answers
// one request per connection (a line in, a JSON line out) to root or the
// server's own account. `stop` and `reopen-logs` become SIGTERM and SIGUSR1 to
// the process, so the main thread's sigwait handles them as it does signals.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "control/drain.hpp"
#include "control/status.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::control {

// What a front that is not the server's root process changes (issue 9).
struct ServerHooks {
  pid_t pid = 0;  // the pid `status` reports (the supervisor's); 0: this process
  // `stop` and `reopen-logs`; empty: SIGTERM and SIGUSR1 to this process.
  std::function<void(std::string_view verb)> order;
  RssReader rss;               // empty: /proc/<pid>/statm
  bool unlink_on_stop = true;  // false: the socket's folder is not ours (the supervisor removes it)
  Drain* drain = nullptr;      // `drain begin|status|cancel` (issue 18); nullptr: refused
  // A drain began (true) or was cancelled (false): the supervisor keeps a restarted front drained.
  std::function<void(bool draining)> drain_changed;
};

// Checks the state folder (ours, not writable by others), refuses when
// another server answers on the socket or when the path is not our socket,
// binds <state_dir>/control.sock 0600 and listens.
Result<UniqueFd> bind_socket(const std::filesystem::path& state_dir);

class Server {
 public:
  // Checks the state folder (ours, not writable by others), refuses when
  // another server answers on the socket or when the path is not our socket,
  // binds <state_dir>/control.sock 0600 and starts the thread.
  // `sites` adds the per-site part of the status (the HTTP server's counters,
  // which this folder does not see); empty: none.
  using SitesReport = std::function<nlohmann::json()>;
  // `reload`: reads the configuration again and says what it did
  // ({"ok", "errors", "changes", "warnings"}); empty: reload is refused.
  using ReloadAction = std::function<nlohmann::json()>;
  static Result<std::unique_ptr<Server>> start(const std::filesystem::path& state_dir, pool::PoolSet& pools,
                                               SitesReport sites = {}, ReloadAction reload = {},
                                               ServerHooks hooks = {});
  // The same on a socket bound elsewhere (bind_socket, by the supervisor).
  static Result<std::unique_ptr<Server>> serve(UniqueFd listener, const std::filesystem::path& state_dir,
                                               pool::PoolSet& pools, SitesReport sites, ReloadAction reload,
                                               ServerHooks hooks);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()

  // Joins the thread and removes the socket. Idempotent.
  void stop();

 private:
  Server(std::filesystem::path path, UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, pool::PoolSet& pools,
         SitesReport sites, ReloadAction reload);
  void run();
  void serve_one(int fd);
  std::string answer(std::string_view line);
  std::string answer_drain(std::string_view arg);

  std::filesystem::path path_;
  UniqueFd listener_, wake_read_, wake_write_;
  pool::PoolSet& pools_;
  SitesReport sites_;
  ServerHooks hooks_;
  ReloadAction reload_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

}  // namespace gatehouse::control

// The front's end of the channel (issue 9): the HELLO it starts from, then
// requests to the supervisor (SPAWN, KILL, AUTH) answered by id, and the
// supervisor's own orders (REOPEN_LOGS, STOP) turned into the signals the
// front's main thread already waits for.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "accounts/pam_auth.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "pool/spawn_port.hpp"
#include "supervisor/channel.hpp"

namespace gatehouse::supervisor {

struct ReceivedListener {
  std::string ip;
  unsigned port = 0;
  unsigned thread = 0;
  UniqueFd fd;
};

struct HelloReceived {
  std::vector<ReceivedListener> listeners;
  UniqueFd control;       // the control socket, when the supervisor bound one
  UniqueFd admin;         // the admin listener, when the configuration has one
  bool draining = false;  // the front before this one was draining (issue 18)
  // The workers a crashed front left running, to take over (pool::PoolSetOptions::adopt).
  std::map<accounts::WorkerKey, std::vector<pool::SpawnedHandle>> adopted;
};

// Waits (up to `timeout`) for HELLO and its listeners; refuses another
// protocol version or a configuration other than the one `config_hash` names.
Result<HelloReceived> receive_hello(const Channel& channel, const config::Config& config, std::uint64_t config_hash,
                                    std::chrono::milliseconds timeout);

class FrontLink final : public pool::SpawnPort {
 public:
  // Starts the reader thread: call after confine_front.
  FrontLink(std::unique_ptr<Channel> channel, const config::Config& config);
  FrontLink(const FrontLink&) = delete;
  FrontLink& operator=(const FrontLink&) = delete;
  ~FrontLink() override;

  // SpawnPort: SPAWN and the WORKER answer; KILL; reaping is the supervisor's.
  Result<pool::SpawnedHandle> spawn(const pool::SpawnSpec& spec, const std::filesystem::path& socket_path) override;
  void kill(const pool::SpawnedHandle& worker, int signal) override;
  std::optional<int> reap(const pool::SpawnedHandle& worker) override;
  // CONNECT, CHILD and KILL of a child or a group: the front can neither
  // connect to the sockets (root's folder), read sock_diag and /proc, nor
  // signal processes of other accounts.
  Result<UniqueFd> connect(const pool::SpawnedHandle& parent) override;
  Result<std::optional<pool::AcceptedChild>> accepted_by(const pool::SpawnedHandle& parent, int connection) override;
  void kill_child(std::uint64_t child, int pidfd, int signal) override;
  void kill_group(const pool::SpawnedHandle& parent, int signal) override;
  std::optional<pool::FileStamp> php_ini_stamp(const pool::SpawnSpec& spec) override;
  std::vector<std::uint64_t> private_kib(const std::vector<pid_t>& pids) override;

  // AUTH: PAM in the supervisor. Blocking (the AuthGate's PAM threads call it).
  Result<accounts::AuthOutcome> authenticate(std::string_view user, std::string_view password, std::string_view remote);

  // Sends READY (the supervisor then checks /proc/<front>/status).
  Status ready();

  // The control socket's `stop` (1) and `reopen-logs` (2), for the whole server.
  void order(std::uint32_t what);
  // The control socket's `reload`: the supervisor reads and checks the file,
  // answers (the control socket's JSON), then restarts the front with it.
  std::string reload();
  // Whether the supervisor's STOP said a new front follows (a reload).
  bool stop_for_reload() const { return stop_for_reload_; }
  // Resident sizes (KiB) of workers, asked of the supervisor; nullopt for a pid that is not a live worker.
  std::optional<std::uint64_t> rss_kib(pid_t pid);

  // The account as the supervisor resolves it now (ENOENT: no such account).
  Result<accounts::Identity> resolve(const std::string& name);

 private:
  struct ProcessUsage {
    std::uint64_t rss_kib = 0, private_kib = 0;  // 0: not a live worker's process
  };
  std::vector<ProcessUsage> usage(const std::vector<pid_t>& pids);
  Result<Received> request(const Message& message, std::chrono::milliseconds timeout);
  void read_loop();

  std::unique_ptr<Channel> channel_;
  const config::Config& config_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::optional<Received>> pending_;
  bool closed_ = false;
  std::atomic<bool> stop_for_reload_{false};
  std::thread reader_;
};

}  // namespace gatehouse::supervisor

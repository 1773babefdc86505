// The root supervisor of issue 9: never reads from the network. It starts the
// sandboxed front (fork + exec), hands it the listening sockets, answers its
// SPAWN, KILL and AUTH requests after checking them against the loaded
// configuration, reaps workers, restarts a dead front, reloads (a checked new
// configuration, then a graceful front restart) on SIGHUP and the control
// socket's `reload`, and stops everything on SIGTERM/SIGINT.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "pool/pool_set.hpp"
#include "supervisor/auth_pool.hpp"
#include "supervisor/channel.hpp"
#include "supervisor/spawn_check.hpp"

namespace gatehouse::supervisor {

struct ListenSocket {
  std::string ip;
  unsigned port = 0;
  unsigned thread = 0;
  UniqueFd fd;
};

struct SupervisorOptions;

// What a reload did: the control socket's JSON answer, and whether the front
// restarts with the new configuration.
struct ReloadAnswer {
  bool ok = false;
  std::string json;
};

struct SupervisorOptions {
  const config::Config* config = nullptr;
  std::uint64_t config_hash = 0;
  // The bytes `config` was loaded from; a front gets them on fd 4 (its
  // front_argv says --config-fd 4). nullopt: the front loads its own (the demo).
  std::optional<std::string> config_text;
  // The front's command line; its end of the channel becomes fd 3.
  std::vector<std::string> front_argv;
  // Builds each worker set's SpawnSpec (account, sandbox, private folder,
  // cgroup) exactly as one process would: the front names a set, never a spec.
  pool::PoolSet* pools = nullptr;
  std::vector<ListenSocket> listeners;
  UniqueFd control;  // the control socket (listening), served by the front; may be empty
  UniqueFd admin;    // the admin listener, served by the front; may be empty
  // SIGHUP and the control socket's `reload`: reads and checks the file,
  // creates accounts, and on success replaces config, config_hash, pools,
  // listeners and admin in `options` (the caller owns what they point to).
  // The supervisor then restarts the front with them. Empty: reload refused.
  std::function<ReloadAnswer(SupervisorOptions& options)> reload;
  std::function<void()> reopen_logs;  // the supervisor's own error log
  std::chrono::milliseconds restart_delay{500};
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options);
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  // Runs until SIGTERM or SIGINT (which, with SIGUSR1 and SIGCHLD, the caller
  // has blocked in every thread); returns the exit code.
  int run();

  // /proc/<pid>/status of a confined front, or why it is not (the four lines
  // of issue 9: Uid not 0, NoNewPrivs 1, Seccomp 2, CapEff exactly SETUID|SETGID).
  static Status check_confined(pid_t pid);

 private:
  struct LiveWorker {
    pid_t pid = 0;
    std::string socket_path;
    accounts::WorkerKey key;
    bool signalled = false;  // the front stopped it: never adopted
  };
  // What the next front gets for a worker it takes over (children.cpp).
  struct Adoption {
    Adopt message;
    UniqueFd connection, status, pidfd;
  };
  // A child of a worker that CHILD named for the front (children.cpp).
  struct LiveChild {
    pid_t pid = 0;
    UniqueFd pidfd;
    std::uint64_t worker = 0;  // its php-cgi parent
  };

  Status start_front();
  void on_message(Received received);
  void on_spawn(std::uint64_t id, const Spawn& request);
  void on_kill(const Kill& request);
  void on_connect(std::uint64_t id, const Connect& request);
  void on_child(std::uint64_t id, const Child& request);
  void on_ini_stamp(std::uint64_t id, const IniStamp& request);
  bool is_live_process(pid_t pid) const;
  std::vector<Adoption> adoptable_workers();
  void on_auth(std::uint64_t id, const Auth& request);
  void answer_auth(AuthDone& done);
  void on_usage(std::uint64_t id, const Usage& request);
  void on_resolve(std::uint64_t id, const Resolve& request);
  void reload(std::optional<std::uint64_t> reply_to);
  void reopen_logs();
  void reap_children();
  void on_front_exit(int status);
  void stop_front();
  void stop_workers();
  bool handle_signal(int fd);

  SupervisorOptions options_;
  SpawnRules rules_;
  std::unique_ptr<Channel> channel_;
  pid_t front_ = -1;
  bool front_ready_ = false;
  bool stopping_ = false;
  bool draining_ = false;  // the front said `gatehouse drain` began: the next front starts drained
  bool reloading_ = false;
  bool adopt_next_ = false;
  std::uint64_t front_generation_ = 0;  // which front an AUTH answer is for
  AuthPool auth_{1};                    // the front crashed: the next one takes over the workers
  int exit_code_ = 0;
  std::chrono::steady_clock::time_point front_started_;
  std::map<std::uint64_t, LiveWorker> workers_;
  std::map<std::uint64_t, LiveChild> children_;
  std::uint64_t next_worker_ = 1;
  unsigned restarts_ = 0;
};

}  // namespace gatehouse::supervisor

// The php-cgi workers of one (pool, identity): start on demand up to
// max_instances, a FIFO queue of queue_length, recycling, idle timeout,
// rapid-fail protection, php.ini watching, and a clean stop. An instance is a
// connection to the set's php-cgi parent (php_parent.hpp), held by one of its
// children: the children share OPcache and APCu, never across sets.
//
// Threading: the state is guarded by mutex_. Timers, pipes and forks run on
// one strand of the manager executor (its own thread, see PoolSet), so forks
// and waitpid never run on an I/O thread. async_acquire and the end of a lease
// take the lock on the calling I/O thread when it is free and so hand an idle
// worker out (or back) without a round trip through the manager; only spawning
// needs the strand. async_acquire's handler runs on the caller's executor. Reaping uses one pidfd per worker (no
// SIGCHLD handler, no waitpid(-1)), so children forked elsewhere in the process are untouched.
#pragma once

#include <sys/stat.h>

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "metrics/histogram.hpp"
#include "pool/lease.hpp"
#include "pool/php_parent.hpp"
#include "pool/spawn_port.hpp"
#include "pool/spawner.hpp"

namespace gatehouse::pool {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// What is not in the configuration: where sockets go, internal timings, and
// sub-second overrides of the configured seconds for tests.
struct PoolOptions {
  std::filesystem::path socket_dir;               // must pass ensure_socket_dir
  std::string socket_prefix;                      // socket names: <prefix>-<n>.sock
  Millis housekeeping_interval{1000};             // idle check and monitor_changes_to stat
  Millis offline_cooldown{30000};                 // rapid-fail protection: offline this long
  Millis stop_grace{3000};                        // SIGTERM to SIGKILL when recycling or stopping
  std::optional<Millis> idle_timeout;             // overrides fastcgi.idle_timeout
  std::optional<Millis> signal_before_terminate;  // overrides fastcgi.signal_before_terminate
  // Called before every spawn, so an account deleted (or renumbered) under a
  // running pool fails the spawn, as a rapid failure, instead of starting a
  // worker as a stale uid. Empty: the SpawnSpec's credentials, as given.
  std::function<Result<accounts::Identity>()> resolve_credentials;
  // Start the php-cgi parent and one instance with start(), so that the
  // first request does not wait for php-cgi to start.
  bool prestart = true;
  // Keep the php-cgi parent (and its OPcache) once idle_timeout stopped every
  // instance. PoolSet keeps the pool's own set warm; a set of an impersonated
  // account (one per user with fastcgi.impersonate) stops entirely instead.
  bool keep_warm = true;
  Millis start_timeout{30000};  // a connection no child accepted by then: a failed start
  // Who starts, signals and reaps the processes (must outlive the pool);
  // nullptr: this process, through the spawner (LocalSpawnPort).
  SpawnPort* spawn_port = nullptr;
};

enum class AcquireFailure { QueueFull, Offline, Stopped, StartFailed };

struct AcquireError {
  AcquireFailure reason;
  Error error;
  // 503 when the pool cannot take the request (queue full, offline, stopping),
  // 502 when a worker failed to start for it.
  int http_status() const { return reason == AcquireFailure::StartFailed ? 502 : 503; }
};

using AcquireResult = std::expected<Lease, AcquireError>;
using AcquireHandler = std::move_only_function<void(AcquireResult)>;

// Why workers were recycled (metrics: gatehouse_pool_recycles_total{reason}).
enum class RecycleReason { Manual, FileChange, MaxRequests, Reload };
inline constexpr const char* kRecycleReasons[] = {"manual", "file_change", "max_requests", "reload"};

struct RecycleEvent {
  std::chrono::system_clock::time_point when;
  RecycleReason reason;
};

// One php-cgi child, for `gatehouse status`.
struct InstanceStats {
  pid_t pid = 0;
  const char* state = "";  // "starting", "idle", "busy", "retiring"
  unsigned served = 0;     // requests this child has finished
  Clock::duration age{};
};

struct PoolStats {
  unsigned starting = 0, idle = 0, busy = 0, retiring = 0;
  std::size_t queued = 0;
  std::size_t recent_failures = 0;  // in the current 60 s window
  std::uint64_t spawned = 0, failures = 0, recycles = 0;
  std::uint64_t php_starts = 0;  // php-cgi parents exec'd (instances are forked from them)
  std::vector<pid_t> parents;    // the php-cgi parents not yet reaped
  std::uint64_t served = 0;      // requests finished by any child of this set, ever
  bool offline = false;
  std::array<std::uint64_t, 4> recycles_by{};  // per RecycleReason: workers retired for it
  std::uint64_t offline_events = 0;            // rapid-fail protection took the pool offline
  metrics::HistogramSample queue_wait;         // from asking for a worker to getting one
  std::vector<RecycleEvent> recent_recycles;   // the last few, oldest first
  std::vector<pid_t> pids;                     // every instance's child (once accepted) not yet gone
  std::vector<InstanceStats> instances;        // the same children in detail: filled by PoolSet::report only
};

class WorkerPool {
 public:
  WorkerPool(boost::asio::any_io_executor manager, SpawnSpec spec, config::FastCgi settings, PoolOptions options);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Destroy only once the manager executor no longer runs (PoolSet joins its
  // thread first): handlers of cancelled waits may still be queued.
  ~WorkerPool();

  // Starts housekeeping (idle timeout, monitor_changes_to, offline cool-down).
  void start();

  // Hands a worker to `handler` on `caller` (whose io_context will run the
  // lease's socket), now, when one frees up (FIFO), or an AcquireError.
  void async_acquire(boost::asio::any_io_executor caller, AcquireHandler handler);

  // Refuses new requests, fails the queued ones, SIGTERMs every worker,
  // SIGKILLs after stop_grace, and calls `done` (on the manager) once all are reaped.
  void async_stop(std::move_only_function<void()> done);

  // Recycles every worker gracefully (what a change to monitor_changes_to does).
  void recycle(RecycleReason reason = RecycleReason::Manual);

  PoolStats stats() const;                       // a snapshot, safe from any thread
  std::vector<InstanceStats> instances() const;  // each child now, safe from any thread
  const std::string& name() const { return spec_.pool; }
  // What a worker of this set is started with (the supervisor spawns from it). Manager strand.
  const SpawnSpec& spawn_spec() const { return spec_; }

 private:
  friend class Lease;
  struct Worker;
  enum class State { Starting, Idle, Busy, Retiring };

  void do_acquire(boost::asio::any_io_executor caller, AcquireHandler handler);
  bool admits_one_more() const;
  void serve_waiters();
  bool wants_spawn() const;
  void spawn_for_waiters();
  Status spawn(pid_t replaces = 0);  // replaces: the child a planned recycle retired, for the log
  Status refresh_credentials();
  void hand_out(Worker& w, AcquireHandler handler, boost::asio::any_io_executor caller, Clock::time_point since);
  Result<Lease::Socket> take_socket(Worker& w, const boost::asio::any_io_executor& caller);
  void fail_waiters(AcquireFailure reason, const Error& error, std::size_t how_many);

  Result<PhpParent*> start_parent(UniqueFd& first_connection);
  PhpParent* current_parent();
  PhpParent* find_parent(std::uint64_t id);
  void on_parent_status(std::uint64_t id, const boost::system::error_code& ec, std::size_t n);
  void on_parent_exit(std::uint64_t id);
  void retire_unused_parents();
  void check_provisional();
  void check_account();
  void drop_parent(PhpParent& p);
  bool on_stale_parent(const Worker& w);
  void poll_accept(std::uint64_t id);
  void on_accepted(Worker& w, AcceptedChild accepted);
  void on_exit(std::uint64_t id);
  void on_start_failed(Worker& w, Error error);
  void erase_later(std::uint64_t id);
  void replace_ahead(pid_t old);
  bool current_generation_ready() const;
  void retire_old_idle();
  void end_lease(std::uint64_t id, std::optional<Lease::Socket> socket, LeaseEnd how);  // from Lease, any thread
  void on_lease_end(std::uint64_t id, std::optional<Lease::Socket> socket, LeaseEnd how);

  void retire(Worker& w, Millis grace, int first_signal);
  void count_failure(Worker* w, const Error& why);
  void go_offline();
  bool still_offline();
  void recycle_now(RecycleReason reason);
  void count_recycle(RecycleReason reason, bool event);
  void note_recycle(RecycleReason reason);

  void schedule_housekeeping();
  void housekeeping();
  bool monitored_file_changed();
  void finish_stop_if_done();
  unsigned count(State s) const;
  Worker* find(std::uint64_t id);
  std::string ctx() const { return "[pool " + spec_.pool + "]"; }

  struct Waiter {
    boost::asio::any_io_executor caller;
    AcquireHandler handler;
    Clock::time_point since = Clock::now();
  };

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  SpawnSpec spec_;  // credentials refreshed before each spawn, on strand_
  SpawnPort& port_;
  const config::FastCgi settings_;
  const PoolOptions options_;
  Millis idle_timeout_;
  Millis signal_before_terminate_;

  std::map<std::uint64_t, std::unique_ptr<Worker>> workers_;
  std::map<std::uint64_t, std::unique_ptr<PhpParent>> parents_;
  std::deque<Waiter> waiters_;
  std::deque<Clock::time_point> failures_;  // the rapid-fail window
  std::optional<Clock::time_point> offline_until_;
  std::uint64_t next_id_ = 1;
  std::uint64_t generation_ = 0;  // bumped by recycle(): older workers retire
  std::optional<struct ::stat> monitored_;
  bool stopped_ = false;
  std::vector<std::move_only_function<void()>> stop_done_;
  boost::asio::steady_timer housekeeping_timer_;
  boost::asio::steady_timer stop_timer_;
  PoolStats totals_;
  RecycleReason generation_reason_ = RecycleReason::Manual;  // why generation_ was last bumped
  std::deque<RecycleEvent> recent_;
  metrics::Histogram queue_wait_;

  // Held by every strand handler and by the I/O threads' fast paths; never
  // waited for on an I/O thread (try_lock, else the strand does the work).
  mutable std::mutex mutex_;
};

}  // namespace gatehouse::pool

// WorkerPool: the slot state machine of one (pool, identity). Every member
// below runs with mutex_ held, except the constructor and the entry points
// (async_*, recycle, stats, end_lease) that take it; spawning runs on strand_ only.
#include "pool/worker_pool.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "common/log.hpp"

namespace gatehouse::pool {

namespace asio = boost::asio;

constexpr auto kFailureWindow = std::chrono::seconds(60);

struct WorkerPool::Worker {
  Worker(asio::any_io_executor ex, std::uint64_t id_, SpawnedHandle& s)
      : id(id_),
        pid(s.pid),
        connection(std::move(s.connection)),
        socket_path(s.socket_path),
        status(ex, s.status_pipe.release()),
        pidfd(ex, s.pidfd.release()),
        kill_timer(ex) {
    handle.worker = s.worker;
    handle.pid = s.pid;
    handle.socket_path = s.socket_path;
  }

  std::uint64_t id;
  pid_t pid;
  SpawnedHandle handle;  // the port's name for it (no descriptors: those live below)
  UniqueFd connection;   // empty while lent out
  // After a lease: the socket, still registered with that I/O thread's reactor,
  // so the next request on the same thread reuses it without two epoll_ctl calls.
  std::optional<Lease::Socket> socket;
  std::filesystem::path socket_path;
  asio::posix::stream_descriptor status;
  asio::posix::stream_descriptor pidfd;
  asio::steady_timer kill_timer;
  ChildReport report;
  State state = State::Starting;
  unsigned served = 0;
  std::uint64_t generation = 0;
  bool signalled = false;        // we signalled it: its exit is not a failure
  bool failure_counted = false;  // already counted (start failure, broken I/O)
  Clock::time_point idle_since;
  Clock::time_point started = Clock::now();
};

namespace {

Error pool_error(const std::string& ctx, std::string op, std::string detail) {
  Error e = Error::logic(std::move(op), "", std::move(detail));
  e.context = ctx;
  return e;
}

std::string describe_exit(int status) {
  if (status == -1) return "ended";  // reaped by the supervisor, which logs how
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "ended";
}

}  // namespace

WorkerPool::WorkerPool(asio::any_io_executor manager, SpawnSpec spec, config::FastCgi settings, PoolOptions options)
    : strand_(asio::make_strand(manager)),
      spec_(std::move(spec)),
      port_(options.spawn_port ? *options.spawn_port : LocalSpawnPort::instance()),
      settings_(std::move(settings)),
      options_(std::move(options)),
      idle_timeout_(options_.idle_timeout.value_or(settings_.idle_timeout)),
      signal_before_terminate_(options_.signal_before_terminate.value_or(settings_.signal_before_terminate)),
      housekeeping_timer_(strand_),
      stop_timer_(strand_) {}

WorkerPool::~WorkerPool() = default;

void WorkerPool::start() {
  asio::post(strand_, [this] {
    std::lock_guard lock(mutex_);
    if (settings_.monitor_changes_to) monitored_file_changed();  // the baseline
    schedule_housekeeping();
  });
}

// The fast path: with the lock free, an idle worker goes to the caller at once
// (its handler is posted to the caller's own executor: no thread switch). The
// manager's strand only takes over when the lock is busy (a spawn under way).
void WorkerPool::async_acquire(asio::any_io_executor caller, AcquireHandler handler) {
  if (std::unique_lock lock(mutex_, std::try_to_lock); lock.owns_lock())
    return do_acquire(std::move(caller), std::move(handler));
  asio::post(strand_, [this, caller = std::move(caller), handler = std::move(handler)]() mutable {
    std::lock_guard lock(mutex_);
    do_acquire(std::move(caller), std::move(handler));
  });
}

void WorkerPool::do_acquire(asio::any_io_executor caller, AcquireHandler handler) {
  auto refuse = [&](AcquireFailure reason, std::string detail) {
    AcquireResult r = std::unexpected(AcquireError{reason, pool_error(ctx(), "acquire worker", std::move(detail))});
    asio::post(caller, [h = std::move(handler), r = std::move(r)]() mutable { h(std::move(r)); });
  };
  if (stopped_) return refuse(AcquireFailure::Stopped, "pool stopping");
  if (still_offline()) return refuse(AcquireFailure::Offline, "pool offline (rapid-fail protection)");
  if (!admits_one_more()) return refuse(AcquireFailure::QueueFull, "queue full");
  waiters_.push_back({std::move(caller), std::move(handler)});
  serve_waiters();
}

// A request is admitted when an idle or starting worker, a free instance, or
// a free place among queue_length queued requests is there for it.
bool WorkerPool::admits_one_more() const {
  unsigned live = count(State::Starting) + count(State::Idle) + count(State::Busy);
  std::size_t free_instances = live < settings_.max_instances ? settings_.max_instances - live : 0;
  std::size_t capacity = count(State::Idle) + count(State::Starting) + free_instances + settings_.queue_length;
  return waiters_.size() < capacity;
}

void WorkerPool::serve_waiters() {
  for (auto& [id, w] : workers_) {
    if (waiters_.empty()) break;
    if (w->state != State::Idle) continue;
    Waiter waiter = std::move(waiters_.front());
    waiters_.pop_front();
    hand_out(*w, std::move(waiter.handler), std::move(waiter.caller), waiter.since);
  }
  // Forks happen on the manager's thread only, never on an I/O thread.
  if (strand_.running_in_this_thread()) return spawn_for_waiters();
  if (wants_spawn())
    asio::post(strand_, [this] {
      std::lock_guard lock(mutex_);
      spawn_for_waiters();
    });
}

bool WorkerPool::wants_spawn() const {
  return !stopped_ && !offline_until_ && waiters_.size() > count(State::Starting) &&
         count(State::Starting) + count(State::Idle) + count(State::Busy) < settings_.max_instances;
}

void WorkerPool::spawn_for_waiters() {
  while (wants_spawn()) {
    if (auto started = spawn(); !started) {
      log::error("{}", started.error().message());
      count_failure(nullptr, started.error());
      fail_waiters(AcquireFailure::StartFailed, started.error(), 1);
    }
  }
}

Status WorkerPool::spawn() {
  if (auto fresh = refresh_credentials(); !fresh) return fresh;
  std::uint64_t id = next_id_++;
  auto path = options_.socket_dir / fmt::format("{}-{}.sock", options_.socket_prefix, id);
  auto spawned = port_.spawn(spec_, path);
  if (!spawned) return std::unexpected(spawned.error());
  auto w = std::make_unique<Worker>(strand_, id, *spawned);
  w->generation = generation_;
  boost::system::error_code ec;
  w->status.non_blocking(true, ec);
  asio::async_read(w->status, asio::buffer(&w->report, sizeof w->report),
                   [this, id](const boost::system::error_code& e, std::size_t n) {
                     std::lock_guard lock(mutex_);
                     on_status(id, e, n);
                   });
  w->pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [this, id](const boost::system::error_code& e) {
    std::lock_guard lock(mutex_);
    if (!e) on_exit(id);
  });
  log::debug("{} started worker {} (pid {})", ctx(), id, w->pid);
  ++totals_.spawned;
  workers_.emplace(id, std::move(w));
  return {};
}

// The account is looked up again for every worker: the one resolved when the
// pool was made may have been deleted since, and its uid reused by another.
Status WorkerPool::refresh_credentials() {
  if (!options_.resolve_credentials) return {};
  auto fresh = options_.resolve_credentials();
  if (fresh) {
    spec_.credentials = std::move(*fresh);
    return {};
  }
  Error why = std::move(fresh.error());
  why.context.clear();
  bool missing = why.errnum == ENOENT && why.op == "look up account";
  std::string account = spec_.credentials.switches() ? spec_.credentials.name : why.target;
  Error e = Error::logic("resolve account", account, missing ? "no such account" : why.message());
  e.context = ctx();
  return std::unexpected(std::move(e));
}

void WorkerPool::hand_out(Worker& w, AcquireHandler handler, asio::any_io_executor caller, Clock::time_point since) {
  queue_wait_.observe(Clock::now() - since);
  auto socket = take_socket(w, caller);
  AcquireResult result;
  if (!socket) {
    result = std::unexpected(AcquireError{AcquireFailure::StartFailed, socket.error()});
    retire(w, options_.stop_grace, SIGTERM);
  } else {
    w.state = State::Busy;
    result = Lease(this, w.id, w.pid, w.served, std::move(*socket));
  }
  asio::post(caller, [h = std::move(handler), r = std::move(result)]() mutable { h(std::move(r)); });
}

// The worker's connection as a socket of the caller's reactor: the last
// lease's socket as is when it ran on the same I/O thread, else the fd moves.
Result<Lease::Socket> WorkerPool::take_socket(Worker& w, const asio::any_io_executor& caller) {
  boost::system::error_code ec;
  if (w.socket && w.socket->get_executor() == caller) {
    Lease::Socket socket = std::move(*w.socket);
    w.socket.reset();
    return socket;
  }
  if (w.socket) {
    w.connection.reset(w.socket->release(ec));
    w.socket.reset();
  }
  Lease::Socket socket(caller);
  socket.assign(asio::local::stream_protocol(), w.connection.get(), ec);
  if (ec) {
    Error e = Error::sys("assign worker socket", w.socket_path, ec.value());
    e.context = ctx();
    return std::unexpected(std::move(e));
  }
  w.connection.release();  // owned by the socket until the lease ends
  return socket;
}

void WorkerPool::fail_waiters(AcquireFailure reason, const Error& error, std::size_t how_many) {
  while (how_many-- > 0 && !waiters_.empty()) {
    Waiter waiter = std::move(waiters_.front());
    waiters_.pop_front();
    AcquireResult r = std::unexpected(AcquireError{reason, error});
    asio::post(waiter.caller, [h = std::move(waiter.handler), r = std::move(r)]() mutable { h(std::move(r)); });
  }
}

// EOF: execve succeeded (the pipe is CLOEXEC); a full report: a step failed.
void WorkerPool::on_status(std::uint64_t id, const boost::system::error_code& ec, std::size_t n) {
  Worker* w = find(id);
  if (!w || w->state != State::Starting) return;
  if (n == sizeof w->report) return on_start_failed(*w, child_report_error(spec_, w->report));
  if (ec != asio::error::eof) {
    Error e = Error::sys("read status pipe of", std::to_string(w->pid), ec.value());
    e.context = ctx();
    return on_start_failed(*w, std::move(e));
  }
  w->state = State::Idle;
  w->idle_since = Clock::now();
  serve_waiters();
}

void WorkerPool::on_start_failed(Worker& w, Error error) {
  log::error("{}", error.message());
  w.state = State::Retiring;  // the child _exits by itself; on_exit reaps it
  count_failure(&w, error);
  fail_waiters(AcquireFailure::StartFailed, error, 1);
  serve_waiters();
}

void WorkerPool::on_exit(std::uint64_t id) {
  Worker* w = find(id);
  if (!w) return;
  std::optional<int> reaped = port_.reap(w->handle);
  if (!reaped) {  // not reapable yet: wait again
    w->pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [this, id](const boost::system::error_code& e) {
      std::lock_guard lock(mutex_);
      if (!e) on_exit(id);
    });
    return;
  }
  const int status = *reaped;
  if (w->state == State::Starting) {
    // The exit may overtake the status read: the pipe now holds the whole story.
    boost::system::error_code ec;
    std::size_t n = w->status.read_some(asio::buffer(&w->report, sizeof w->report), ec);
    Error e = n == sizeof w->report
                  ? child_report_error(spec_, w->report)
                  : pool_error(ctx(), "start php-cgi", "worker " + describe_exit(status) + " at start");
    on_start_failed(*w, std::move(e));
  } else if (!w->signalled && !w->failure_counted && !stopped_ && !reached_max_requests(*w)) {
    Error e = pool_error(ctx(), "run worker", fmt::format("pid {} {}", w->pid, describe_exit(status)));
    log::warn("{}", e.message());
    count_failure(w, e);
  } else {
    log::debug("{} worker pid {} {}", ctx(), w->pid, describe_exit(status));
  }
  workers_.erase(id);
  serve_waiters();
  finish_stop_if_done();
}

// php-cgi exits by itself after PHP_FCGI_MAX_REQUESTS, which may equal
// instance_max_requests: that exit can overtake the release of the last lease.
bool WorkerPool::reached_max_requests(const Worker& w) const {
  unsigned done = w.served + (w.state == State::Busy ? 1 : 0);
  return settings_.instance_max_requests != 0 && done >= settings_.instance_max_requests;
}

// On the releasing I/O thread when the lock is free: the worker is idle again,
// or goes straight to the oldest waiter, without a trip through the manager.
void WorkerPool::end_lease(std::uint64_t id, std::optional<Lease::Socket> socket, LeaseEnd how) {
  if (std::unique_lock lock(mutex_, std::try_to_lock); lock.owns_lock())
    return on_lease_end(id, std::move(socket), how);
  asio::post(strand_, [this, id, socket = std::move(socket), how]() mutable {
    std::lock_guard lock(mutex_);
    on_lease_end(id, std::move(socket), how);
  });
}

void WorkerPool::on_lease_end(std::uint64_t id, std::optional<Lease::Socket> socket, LeaseEnd how) {
  Worker* w = find(id);
  if (!w || w->state != State::Busy) return;  // died, or stopped while lent: nothing to return
  ++w->served;
  ++totals_.served;
  switch (how) {
    case LeaseEnd::Ok: {
      w->socket = std::move(socket);
      bool used_up = settings_.instance_max_requests != 0 && w->served >= settings_.instance_max_requests;
      if (used_up || w->generation != generation_ || stopped_) {
        if (!stopped_) count_recycle(used_up ? RecycleReason::MaxRequests : generation_reason_, used_up);
        retire(*w, options_.stop_grace, SIGTERM);
      } else {
        w->state = State::Idle;
        w->idle_since = Clock::now();
      }
      break;
    }
    case LeaseEnd::Failed:
      count_failure(w, pool_error(ctx(), "talk to worker", fmt::format("pid {}: broken connection", w->pid)));
      retire(*w, signal_before_terminate_, signal_before_terminate_.count() > 0 ? SIGTERM : SIGKILL);
      break;
    case LeaseEnd::Abandon:
      retire(*w, options_.stop_grace, SIGTERM);
      break;
    case LeaseEnd::Kill:
      log::warn("{} killing worker pid {} (timeout)", ctx(), w->pid);
      retire(*w, signal_before_terminate_, signal_before_terminate_.count() > 0 ? SIGTERM : SIGKILL);
      break;
  }
  serve_waiters();
}

// Closing the connection lets php-cgi return to accept(), where SIGTERM ends
// it at once; a busy one finishes its script first. SIGKILL after `grace`.
// Its exit is expected from now on: a failure is counted by whoever decided
// it was one (on_lease_end for broken I/O, on_start_failed), not by on_exit.
void WorkerPool::retire(Worker& w, Millis grace, int first_signal) {
  w.state = State::Retiring;
  w.connection.reset();
  w.socket.reset();
  w.signalled = true;
  port_.kill(w.handle, first_signal);  // harmless if it already exited: not reaped yet
  if (first_signal == SIGKILL) return;
  w.kill_timer.expires_after(grace);
  w.kill_timer.async_wait([this, id = w.id](const boost::system::error_code& ec) {
    std::lock_guard lock(mutex_);
    if (Worker* still = ec ? nullptr : find(id)) port_.kill(still->handle, SIGKILL);
  });
}

// A sliding 60 s window; reaching rapid_fails_per_minute takes the pool offline.
void WorkerPool::count_failure(Worker* w, const Error& why) {
  if (w) w->failure_counted = true;
  ++totals_.failures;
  auto now = Clock::now();
  failures_.push_back(now);
  while (!failures_.empty() && now - failures_.front() > kFailureWindow) failures_.pop_front();
  log::debug("{} failure {} in the last minute: {}", ctx(), failures_.size(), why.message());
  if (settings_.rapid_fails_per_minute != 0 && failures_.size() >= settings_.rapid_fails_per_minute) go_offline();
}

// IIS keeps a failed pool stopped until an administrator starts it; we come
// back by ourselves after offline_cooldown, with a fresh failure window.
void WorkerPool::go_offline() {
  if (offline_until_) return;
  offline_until_ = Clock::now() + options_.offline_cooldown;
  ++totals_.offline_events;
  failures_.clear();
  log::error("{} {} worker failures within a minute: pool offline for {} ms", ctx(), settings_.rapid_fails_per_minute,
             options_.offline_cooldown.count());
  fail_waiters(AcquireFailure::Offline, pool_error(ctx(), "acquire worker", "pool offline (rapid-fail protection)"),
               waiters_.size());
  for (auto& [id, w] : workers_)
    if (w->state == State::Idle) retire(*w, options_.stop_grace, SIGTERM);
}

void WorkerPool::recycle(RecycleReason reason) {
  asio::post(strand_, [this, reason] {
    std::lock_guard lock(mutex_);
    recycle_now(reason);
  });
}

// Counts a retired worker; `event`: also a line of the status page's recent
// recycles (a whole-pool recycle is one line, not one per worker).
void WorkerPool::count_recycle(RecycleReason reason, bool event) {
  ++totals_.recycles;
  ++totals_.recycles_by[static_cast<std::size_t>(reason)];
  if (event) note_recycle(reason);
}

void WorkerPool::note_recycle(RecycleReason reason) {
  recent_.push_back({std::chrono::system_clock::now(), reason});
  if (recent_.size() > 8) recent_.pop_front();
}

// Idle workers go now; busy ones when their request ends (generation check
// in on_lease_end); new requests get new workers, which read the new php.ini.
void WorkerPool::recycle_now(RecycleReason reason) {
  ++generation_;
  generation_reason_ = reason;
  note_recycle(reason);
  for (auto& [id, w] : workers_) {
    if (w->state == State::Idle) {
      count_recycle(reason, false);
      retire(*w, options_.stop_grace, SIGTERM);
    }
  }
  serve_waiters();
}

bool WorkerPool::still_offline() {
  if (offline_until_ && Clock::now() >= *offline_until_) {
    offline_until_.reset();
    log::info("{} back online after the rapid-fail cool-down", ctx());
  }
  return offline_until_.has_value();
}

void WorkerPool::schedule_housekeeping() {
  if (stopped_) return;
  housekeeping_timer_.expires_after(options_.housekeeping_interval);
  housekeeping_timer_.async_wait([this](const boost::system::error_code& ec) {
    std::lock_guard lock(mutex_);
    if (ec || stopped_) return;
    housekeeping();
    schedule_housekeeping();
  });
}

void WorkerPool::housekeeping() {
  auto now = Clock::now();
  still_offline();
  for (auto& [id, w] : workers_) {
    if (w->state == State::Idle && now - w->idle_since >= idle_timeout_) {
      log::debug("{} stopping idle worker pid {}", ctx(), w->pid);
      retire(*w, options_.stop_grace, SIGTERM);
    }
  }
  if (settings_.monitor_changes_to && monitored_file_changed()) {
    log::info("{} {} changed: recycling workers", ctx(), settings_.monitor_changes_to->string());
    recycle_now(RecycleReason::FileChange);
  }
}

// Compares inode, size, mtime and ctime: an editor that writes a new file and
// renames it over the old one changes the inode, an in-place write the times.
bool WorkerPool::monitored_file_changed() {
  struct ::stat now {};
  bool exists = ::stat(settings_.monitor_changes_to->c_str(), &now) == 0;
  std::optional<struct ::stat> current = exists ? std::optional(now) : std::nullopt;
  auto same = [](const std::optional<struct ::stat>& a, const std::optional<struct ::stat>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
  };
  bool changed = !same(monitored_, current);
  monitored_ = current;
  return changed;
}

void WorkerPool::async_stop(std::move_only_function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    std::lock_guard lock(mutex_);
    stop_done_.push_back(std::move(done));
    if (!stopped_) {
      stopped_ = true;
      housekeeping_timer_.cancel();
      fail_waiters(AcquireFailure::Stopped, pool_error(ctx(), "acquire worker", "pool stopping"), waiters_.size());
      for (auto& [id, w] : workers_)
        if (w->state != State::Retiring || !w->signalled) retire(*w, options_.stop_grace, SIGTERM);
    }
    finish_stop_if_done();
  });
}

void WorkerPool::finish_stop_if_done() {
  if (!stopped_ || !workers_.empty()) return;
  auto done = std::move(stop_done_);
  stop_done_.clear();
  for (auto& d : done) asio::post(strand_, std::move(d));  // run without the lock: they may ask for stats()
}

unsigned WorkerPool::count(State s) const {
  unsigned n = 0;
  for (const auto& [id, w] : workers_) n += w->state == s;
  return n;
}

WorkerPool::Worker* WorkerPool::find(std::uint64_t id) {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : it->second.get();
}

PoolStats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats s = totals_;
  s.starting = count(State::Starting);
  s.idle = count(State::Idle);
  s.busy = count(State::Busy);
  s.retiring = count(State::Retiring);
  s.queued = waiters_.size();
  s.recent_failures = failures_.size();
  s.offline = offline_until_.has_value();
  s.queue_wait = queue_wait_.sample();
  s.recent_recycles.assign(recent_.begin(), recent_.end());
  for (const auto& [id, w] : workers_) s.pids.push_back(w->pid);
  return s;
}

std::vector<InstanceStats> WorkerPool::instances() const {
  static constexpr const char* kNames[] = {"starting", "idle", "busy", "retiring"};
  std::vector<InstanceStats> out;
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (const auto& [id, w] : workers_)
    out.push_back({w->pid, kNames[static_cast<int>(w->state)], w->served, now - w->started});
  return out;
}

}  // namespace gatehouse::pool

// WorkerPool: the slot state machine of one (pool, identity). Every member
// below runs with mutex_ held, except the constructor and the entry points
// (async_*, recycle, stats, end_lease) that take it; forking runs on strand_
// only. An instance is Starting from its connect() until a child of the set's
// php-cgi parent accepted it (polled), then Idle/Busy, Retiring once signalled.
#include "pool/worker_pool.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "common/log.hpp"
#include "pool/instance.hpp"

namespace gatehouse::pool {

namespace asio = boost::asio;

constexpr auto kFailureWindow = std::chrono::seconds(60);

namespace {

Error pool_error(const std::string& ctx, std::string op, std::string detail) {
  Error e = Error::logic(std::move(op), "", std::move(detail));
  e.context = ctx;
  return e;
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
    if (!options_.prestart || stopped_ || settings_.max_instances == 0 || !workers_.empty()) return;
    if (auto started = spawn(); !started) {
      log::error("{}", started.error().message());
      count_failure(nullptr, started.error());
    }
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
  check_provisional();
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

// An instance: a connection to the current php-cgi parent, started first
// when there is none. On strand_ only. The account is resolved again for
// every instance: one deleted since fails it; one renumbered since (another
// uid, gid or groups) gets a new parent, the old one is recycled.
Status WorkerPool::spawn(pid_t replaces) {
  if (auto fresh = refresh_credentials(); !fresh) return fresh;
  UniqueFd connection;
  PhpParent* parent = current_parent();
  if (parent && parent->credentials != spec_.credentials) {
    log::info("{} account {} changed since php-cgi parent pid {} started: recycling the set", ctx(),
              spec_.credentials.name, parent->pid);
    ++generation_;
    parent = nullptr;
  }
  // While a recycled set's new parent starts, instances (a replacement, one
  // for a waiter) go to the old parent if it is up: nobody waits for php-cgi.
  if (parent && !parent->ready)
    for (auto it = parents_.rbegin(); it != parents_.rend(); ++it) {
      PhpParent& older = *it->second;
      if (older.ready && !older.signalled && !older.reaped && !older.stale && older.credentials == spec_.credentials) {
        parent = &older;
        break;
      }
    }
  if (parent) {
    auto connected = port_.connect(parent->handle);
    if (!connected) {
      Error e = std::move(connected.error());
      e.context = ctx();
      return std::unexpected(std::move(e));
    }
    connection = std::move(*connected);
  } else {
    auto started = start_parent(connection);
    if (!started) return std::unexpected(started.error());
    parent = *started;
  }
  std::uint64_t id = next_id_++;
  workers_.emplace(id, std::make_unique<Worker>(strand_, id, *parent, std::move(connection)));
  ++totals_.spawned;
  workers_[id]->replaces = replaces;  // set before the first poll: a waiting child may take it at once
  poll_accept(id);
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

void WorkerPool::on_start_failed(Worker& w, Error error) {
  log::error("{}", error.message());
  w.state = State::Retiring;
  w.connection.reset();
  count_failure(&w, error);
  fail_waiters(AcquireFailure::StartFailed, error, 1);
  erase_later(w.id);
  serve_waiters();
}

// The instance's child ended (we stopped it, or it died): the instance goes.
// php-cgi's parent reaps the child and forks another.
void WorkerPool::on_exit(std::uint64_t id) {
  Worker* w = find(id);
  if (!w) return;
  if (!w->signalled && !w->failure_counted && !stopped_) {
    Error e = pool_error(ctx(), "run worker", fmt::format("php-cgi child pid {} ended", w->pid));
    log::warn("{}", e.message());
    count_failure(w, e);
  } else {
    log::debug("{} php-cgi child pid {} ended", ctx(), w->pid);
  }
  workers_.erase(id);
  retire_unused_parents();
  serve_waiters();
  finish_stop_if_done();
}

// Retiring instances that never had a child are dropped on the next turn of
// the strand (never while a caller iterates workers_).
void WorkerPool::erase_later(std::uint64_t id) {
  asio::post(strand_, [this, id] {
    std::lock_guard lock(mutex_);
    Worker* w = find(id);
    if (!w || w->state != State::Retiring || w->pid != 0) return;
    workers_.erase(id);
    retire_unused_parents();
    serve_waiters();
    finish_stop_if_done();
  });
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

// A socket that does not go back to the instance is closed only when this
// returns: after retire() signalled the child (see retire).
void WorkerPool::on_lease_end(std::uint64_t id, std::optional<Lease::Socket> socket, LeaseEnd how) {
  Worker* w = find(id);
  if (!w || w->state != State::Busy) return;  // died, or stopped while lent: nothing to return
  ++w->served;
  ++totals_.served;
  switch (how) {
    case LeaseEnd::Ok: {
      w->socket = std::move(socket);
      bool used_up = settings_.instance_max_requests != 0 && w->served >= settings_.instance_max_requests;
      if (used_up) {
        if (!stopped_) count_recycle(RecycleReason::MaxRequests, true);
        pid_t old = w->pid;
        retire(*w, options_.stop_grace, SIGTERM);
        replace_ahead(old);
      } else if (stopped_ || on_stale_parent(*w) || (w->generation != generation_ && current_generation_ready())) {
        if (!stopped_) count_recycle(generation_reason_, false);
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

// The child gets the signal before its connection closes: php-cgi marks
// itself shutting down, so the EOF cannot send it back to accept() to take
// another instance's connection. An idle child ends at once, a busy one after
// its script; SIGKILL after `grace`. Its exit is expected from now on: a
// failure is counted by whoever decided it was one (on_lease_end for broken
// I/O, on_start_failed), not by on_exit.
void WorkerPool::retire(Worker& w, Millis grace, int first_signal) {
  w.state = State::Retiring;
  w.signalled = true;
  if (w.pid != 0) port_.kill_child(w.child, w.pidfd.native_handle(), first_signal);
  w.connection.reset();
  w.socket.reset();
  w.accept_timer.cancel();
  if (w.pid == 0) return erase_later(w.id);  // no child took it: nothing to stop
  if (first_signal == SIGKILL) return;
  w.kill_timer.expires_after(grace);
  w.kill_timer.async_wait([this, id = w.id](const boost::system::error_code& ec) {
    std::lock_guard lock(mutex_);
    if (Worker* still = ec ? nullptr : find(id)) port_.kill_child(still->child, still->pidfd.native_handle(), SIGKILL);
  });
}

// After a planned recycle: a new instance at once. The set's parent forked
// its child ahead (one child more than instances, waiting in accept()), so it
// is warm and takes the connection without a php-cgi start.
void WorkerPool::replace_ahead(pid_t old) {
  if (stopped_ || offline_until_) return;
  if (count(State::Starting) + count(State::Idle) + count(State::Busy) >= settings_.max_instances) return;
  asio::post(strand_, [this, old] {
    std::lock_guard lock(mutex_);
    if (stopped_ || offline_until_) return;
    if (count(State::Starting) + count(State::Idle) + count(State::Busy) >= settings_.max_instances) return;
    if (auto added = spawn(old); !added) {
      log::error("{}", added.error().message());
      return count_failure(nullptr, added.error());
    }
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

// A new php-cgi parent (it reads the new php.ini) starts now with one
// instance; the old instances keep serving until it is ready (then idle ones
// go, busy ones when their request ends: retire_old_idle, on_lease_end), and
// the old parent stops once it has no instance left.
void WorkerPool::recycle_now(RecycleReason reason) {
  ++generation_;
  generation_reason_ = reason;
  note_recycle(reason);
  if (!stopped_ && (!workers_.empty() || options_.prestart)) {
    if (auto started = spawn(); !started) {
      log::error("{}", started.error().message());
      count_failure(nullptr, started.error());
    }
  }
  retire_unused_parents();
  serve_waiters();
}

bool WorkerPool::current_generation_ready() const {
  for (const auto& [id, w] : workers_)
    if (w->generation == generation_ && (w->state == State::Idle || w->state == State::Busy)) return true;
  return false;
}

void WorkerPool::retire_old_idle() {
  for (auto& [id, w] : workers_) {
    if (w->generation != generation_ && w->state == State::Idle) {
      count_recycle(generation_reason_, false);
      retire(*w, options_.stop_grace, SIGTERM);
    }
  }
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
  check_account();
  if (!options_.keep_warm && workers_.empty() && waiters_.empty() && !parents_.empty()) {
    log::debug("{} idle: stopping its php-cgi parent", ctx());
    ++generation_;  // the next request starts a new one
    retire_unused_parents();
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
      retire_unused_parents();  // the others once their last instance is gone
    }
    finish_stop_if_done();
  });
}

void WorkerPool::finish_stop_if_done() {
  if (!stopped_ || !workers_.empty() || !parents_.empty()) return;
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
  for (const auto& [id, w] : workers_)
    if (w->pid != 0) s.pids.push_back(w->pid);
  for (const auto& [id, p] : parents_) s.parents.push_back(p->pid);
  return s;
}

std::vector<InstanceStats> WorkerPool::instances() const {
  static constexpr const char* kNames[] = {"starting", "idle", "busy", "retiring"};
  std::vector<InstanceStats> out;
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (const auto& [id, w] : workers_)
    out.push_back(
        {w->pid != 0 ? w->pid : w->parent_pid, kNames[static_cast<int>(w->state)], w->served, now - w->started});
  return out;
}

}  // namespace gatehouse::pool

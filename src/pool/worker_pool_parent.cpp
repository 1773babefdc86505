// WorkerPool and its php-cgi parents: starting one, seeing it exec or die,
// stopping it once no instance uses it, and noticing which of its children
// accepted an instance's connection. Runs with mutex_ held, like worker_pool.cpp.
#include <fmt/format.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "common/log.hpp"
#include "pool/instance.hpp"
#include "pool/worker_pool.hpp"

namespace gatehouse::pool {

namespace asio = boost::asio;

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

Result<PhpParent*> WorkerPool::start_parent(UniqueFd& first_connection) {
  std::uint64_t id = next_id_++;
  auto path = options_.socket_dir / fmt::format("{}-{}.sock", options_.socket_prefix, id);
  std::optional<FileStamp> ini = port_.php_ini_stamp(spec_);
  auto spawned = port_.spawn(spec_, path);
  if (!spawned) return std::unexpected(spawned.error());
  first_connection = std::move(spawned->connection);
  auto p = std::make_unique<PhpParent>(strand_, id, *spawned, generation_);
  p->credentials = spec_.credentials;
  p->ini = ini;
  p->provisional = waiters_.empty();
  boost::system::error_code ec;
  p->status.non_blocking(true, ec);
  asio::async_read(p->status, asio::buffer(&p->report, sizeof p->report),
                   [this, id](const boost::system::error_code& e, std::size_t n) {
                     std::lock_guard lock(mutex_);
                     on_parent_status(id, e, n);
                   });
  p->pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [this, id](const boost::system::error_code& e) {
    std::lock_guard lock(mutex_);
    if (!e) on_parent_exit(id);
  });
  log::debug("{} started php-cgi parent pid {} ({} children)", ctx(), p->pid, children_for(settings_.max_instances));
  ++totals_.php_starts;
  PhpParent* raw = p.get();
  parents_.emplace(id, std::move(p));
  return raw;
}

PhpParent* WorkerPool::current_parent() {
  for (auto& [id, p] : parents_)
    if (p->generation == generation_ && !p->signalled && !p->reaped) return p.get();
  return nullptr;
}

PhpParent* WorkerPool::find_parent(std::uint64_t id) {
  auto it = parents_.find(id);
  return it == parents_.end() ? nullptr : it->second.get();
}

// EOF: execve succeeded (the pipe is CLOEXEC); the children accept once
// php-cgi is up (poll_accept sees it). A full report: a step failed, and the
// child _exits by itself (on_parent_exit reaps it).
void WorkerPool::on_parent_status(std::uint64_t id, const boost::system::error_code& ec, std::size_t n) {
  PhpParent* p = find_parent(id);
  if (!p || p->signalled) return;
  Error e;
  if (n == sizeof p->report) {
    e = child_report_error(spec_, p->report);
  } else if (ec != asio::error::eof) {
    e = Error::sys("read status pipe of", std::to_string(p->pid), ec.value());
    e.context = ctx();
  } else {
    return;
  }
  log::error("{}", e.message());
  p->signalled = true;  // its exit is this failure, counted once here
  count_failure(nullptr, e);
  fail_waiters(AcquireFailure::StartFailed, e, 1);
  for (auto& [wid, w] : workers_)
    if (w->parent == id) w->state = State::Retiring, w->signalled = true, w->connection.reset();
}

// The group is killed before the parent is reaped, while its pid still names
// the group: children it left behind (it was SIGKILLed, or exited on
// SIGTERM without waiting for them) must not keep serving.
void WorkerPool::on_parent_exit(std::uint64_t id) {
  PhpParent* p = find_parent(id);
  if (!p) return;
  std::optional<int> reaped = port_.reap(p->handle);  // its group gets SIGKILL first
  if (!reaped) {                                      // not reapable yet: wait again
    p->pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [this, id](const boost::system::error_code& e) {
      std::lock_guard lock(mutex_);
      if (!e) on_parent_exit(id);
    });
    return;
  }
  p->reaped = true;
  const int status = *reaped;
  if (!p->signalled && !stopped_) {
    bool started = false;
    for (const auto& [wid, w] : workers_) started = started || (w->parent == id && w->pid != 0);
    boost::system::error_code ec;
    std::size_t n = started ? 0 : p->status.read_some(asio::buffer(&p->report, sizeof p->report), ec);
    Error e = n == sizeof p->report ? child_report_error(spec_, p->report)
              : started             ? pool_error(ctx(), "run worker",
                                                 fmt::format("php-cgi parent pid {} {}", p->pid, describe_exit(status)))
                        : pool_error(ctx(), "start php-cgi", "worker " + describe_exit(status) + " at start");
    log::warn("{}", e.message());
    count_failure(nullptr, e);
    if (!started) fail_waiters(AcquireFailure::StartFailed, e, 1);
  } else {
    log::debug("{} php-cgi parent pid {} {}", ctx(), p->pid, describe_exit(status));
  }
  std::erase_if(workers_, [id](const auto& entry) { return entry.second->parent == id; });
  parents_.erase(id);
  serve_waiters();
  finish_stop_if_done();
}

// A parent started before any request may have read a php.ini that changed
// since: `gatehouse serve` creates the pool accounts, then `perms apply`
// grants them their php.ini (its ctime changes). At the first request, such a
// parent is dropped, unused, and the request waits for a fresh one.
void WorkerPool::check_provisional() {
  PhpParent* p = current_parent();
  if (!p || !p->provisional) return;
  p->provisional = false;
  if (port_.php_ini_stamp(spec_) == p->ini) return;
  log::info("{} {} changed since php-cgi parent pid {} started ahead: starting another", ctx(), spec_.php_ini.string(),
            p->pid);
  drop_parent(*p);
}

// Never used again: its idle and starting instances go now, busy ones when
// their request ends, then the parent itself (retire_unused_parents).
void WorkerPool::drop_parent(PhpParent& p) {
  p.stale = true;
  if (p.generation == generation_) ++generation_;
  for (auto& [id, w] : workers_)
    if (w->parent == p.id && (w->state == State::Idle || w->state == State::Starting))
      retire(*w, options_.stop_grace, SIGTERM);
  retire_unused_parents();
}

bool WorkerPool::on_stale_parent(const Worker& w) {
  auto it = parents_.find(w.parent);
  return it != parents_.end() && it->second->stale;
}

// A parent lives as long as its set, so the account it runs as is checked
// again at every housekeeping tick (not only before each instance): one
// deleted or renumbered since stops the set's processes within a tick, and
// no process keeps running as a uid that a new account may get.
void WorkerPool::check_account() {
  if (!options_.resolve_credentials) return;
  bool running = false;
  for (const auto& [id, p] : parents_) running = running || (!p->stale && !p->signalled && !p->reaped);
  if (!running) return;
  auto fresh = options_.resolve_credentials();
  for (auto& [id, p] : parents_) {
    if (p->stale || p->signalled || p->reaped || (fresh && *fresh == p->credentials)) continue;
    log::warn("{} account {} {} since php-cgi parent pid {} started: stopping its processes", ctx(),
              p->credentials.switches() ? p->credentials.name : "of the server", fresh ? "changed" : "is gone", p->pid);
    drop_parent(*p);
  }
}

// A parent of an older generation (or any, when stopping) goes once no
// instance uses it: its children are idle or gone, so SIGTERM ends them all.
void WorkerPool::retire_unused_parents() {
  for (auto& [id, p] : parents_) {
    if (p->signalled || p->reaped || (p->generation == generation_ && !stopped_)) continue;
    bool used = false;
    for (const auto& [wid, w] : workers_) used = used || w->parent == id;
    if (used) continue;
    log::debug("{} stopping php-cgi parent pid {}", ctx(), p->pid);
    p->signalled = true;
    port_.kill(p->handle, SIGTERM);
    p->kill_timer.expires_after(options_.stop_grace);
    p->kill_timer.async_wait([this, id](const boost::system::error_code& ec) {
      std::lock_guard lock(mutex_);
      if (PhpParent* still = ec ? nullptr : find_parent(id); still && !still->reaped)
        port_.kill_group(still->handle, SIGKILL);
    });
  }
}

// Starting until a child holds the connection: right away when one waits in
// accept(), after php-cgi's start when the parent is new. Polled briefly, then
// less often; a connection nobody takes within start_timeout is a failed start.
void WorkerPool::poll_accept(std::uint64_t id) {
  Worker* w = find(id);
  if (!w || w->state != State::Starting) return;
  PhpParent* p = find_parent(w->parent);
  if (!p || p->signalled) return;
  auto accepted = port_.accepted_by(p->handle, w->connection.get());
  if (!accepted) return on_start_failed(*w, accepted.error());
  if (*accepted) return on_accepted(*w, std::move(**accepted));
  auto waited = Clock::now() - w->connected;
  if (waited > options_.start_timeout)
    return on_start_failed(*w, pool_error(ctx(), "start php-cgi",
                                          fmt::format("no child of php-cgi parent pid {} took a connection in {} ms",
                                                      p->pid, options_.start_timeout.count())));
  using std::chrono::microseconds;
  w->accept_timer.expires_after(waited < Millis(5) ? microseconds(200) : waited < Millis(200) ? Millis(1) : Millis(10));
  w->accept_timer.async_wait([this, id](const boost::system::error_code& ec) {
    std::lock_guard lock(mutex_);
    if (!ec) poll_accept(id);
  });
}

void WorkerPool::on_accepted(Worker& w, AcceptedChild accepted) {
  // A child being retired may have taken the connection before our signal
  // reached it (it would drop it): connect again, another child takes it.
  const pid_t child = accepted.pid;
  bool retiring = false;
  for (const auto& [id, o] : workers_) retiring = retiring || (o->pid == child && o->state == State::Retiring);
  if (retiring) {
    PhpParent* p = find_parent(w.parent);
    auto again = port_.connect(p->handle);
    if (!again) return on_start_failed(w, again.error());
    w.connection = std::move(*again);
    return poll_accept(w.id);
  }
  w.pid = child;
  w.child = accepted.worker;
  w.pidfd.assign(accepted.pidfd.release());
  if (PhpParent* p = find_parent(w.parent)) p->ready = true;
  w.pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [this, id = w.id](const boost::system::error_code& e) {
    std::lock_guard lock(mutex_);
    if (!e) on_exit(id);
  });
  w.state = State::Idle;
  w.idle_since = Clock::now();
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(w.idle_since - w.connected).count();
  if (w.replaces != 0)
    log::info("{} recycled php-cgi child pid {}: pid {}, forked ahead by parent pid {}, took its place in {} us", ctx(),
              w.replaces, child, w.parent_pid, took);
  else
    log::debug("{} php-cgi child pid {} of parent pid {} took instance {} in {} us", ctx(), child, w.parent_pid, w.id,
               took);
  if (current_generation_ready()) retire_old_idle();  // this one too, when it went to an old parent
  retire_unused_parents();
  serve_waiters();
}

}  // namespace gatehouse::pool

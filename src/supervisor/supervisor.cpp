// Supervisor: the root process's loop (signals, the front's channel, children).
#include "supervisor/supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "accounts/identity.hpp"
#include "accounts/names.hpp"
#include "accounts/pam_auth.hpp"
#include "common/log.hpp"
#include "pool/php_children.hpp"
#include "pool/spawner.hpp"

namespace gatehouse::supervisor {
namespace {

using namespace std::chrono_literals;

constexpr int kChannelFd = 3;  // the front finds its end there (serve --front-fd 3)
constexpr int kConfigFd = 4;   // and the configuration's bytes there (serve --config-fd 4)

// A sealed-off copy of the bytes the supervisor checked, so a front started
// later (a restart) loads them, not a file edited since. Above the descriptors
// the child renumbers.
Result<UniqueFd> config_memfd(const std::string& text) {
  UniqueFd made(static_cast<int>(::syscall(SYS_memfd_create, "gatehouse.toml", MFD_CLOEXEC)));
  if (!made) return std::unexpected(Error::sys("memfd_create", "configuration"));
  UniqueFd fd(::fcntl(made.get(), F_DUPFD_CLOEXEC, 10));
  if (!fd) return std::unexpected(Error::sys("dup", "configuration"));
  for (std::size_t at = 0; at < text.size();) {
    ssize_t n = ::write(fd.get(), text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(Error::sys("write", "configuration"));
    at += static_cast<std::size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
    return "killed by SIGSYS (a system call outside its seccomp allow-list)";
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "ended";
}

std::optional<uid_t> system_uid(const std::string& name) {
  auto id = accounts::resolve_identity(name);
  if (!id) return std::nullopt;
  return id->uid;
}

}  // namespace

Supervisor::Supervisor(SupervisorOptions options) : options_(std::move(options)) {
  rules_.config = options_.config;
  rules_.allowed = anonymous_worker_sets(*options_.config);
  rules_.uid_of = system_uid;
}

Supervisor::~Supervisor() = default;

Status Supervisor::check_confined(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  if (!in) return std::unexpected(Error::sys("read", fmt::format("/proc/{}/status", pid)));
  std::map<std::string, std::string> fields;
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    fields[line.substr(0, colon)] = value;
  }
  std::string why;
  auto uids = fields["Uid"];
  if (uids.empty() || uids.starts_with("0") || uids.find("\t0") != std::string::npos) why += " Uid " + uids + ";";
  if (fields["NoNewPrivs"] != "1") why += " NoNewPrivs " + fields["NoNewPrivs"] + ";";
  if (fields["Seccomp"] != "2") why += " Seccomp " + fields["Seccomp"] + ";";
  if (fields["CapEff"] != "00000000000000c0") why += " CapEff " + fields["CapEff"] + ";";
  if (why.empty()) return {};
  return std::unexpected(Error::logic("check the front's confinement", fmt::format("pid {}", pid), why.substr(1)));
}

Status Supervisor::start_front() {
  auto pair = make_socketpair();
  if (!pair) return std::unexpected(pair.error());
  std::vector<char*> argv;
  for (auto& a : options_.front_argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const int front_end = pair->second.get();
  UniqueFd text;
  if (options_.config_text) {
    auto made = config_memfd(*options_.config_text);
    if (!made) return std::unexpected(made.error());
    text = std::move(*made);
  }
  const int text_fd = text.get();
  pid_t pid = ::fork();
  if (pid < 0) return std::unexpected(Error::sys("fork", "the front"));
  if (pid == 0) {
    // The child: no allocation, _exit on failure. The signal mask (stop
    // signals blocked) carries over exec, as the front expects.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    if (front_end == kChannelFd) {
      ::fcntl(kChannelFd, F_SETFD, 0);
    } else if (::dup2(front_end, kChannelFd) < 0) {
      ::_exit(126);
    }
    if (text_fd >= 0 && ::dup2(text_fd, kConfigFd) < 0) ::_exit(126);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  pair->second.reset();
  channel_ = std::make_unique<Channel>(std::move(pair->first));
  ++front_generation_;
  front_ = pid;
  front_ready_ = false;
  front_started_ = std::chrono::steady_clock::now();
  Hello hello;
  hello.listeners = static_cast<std::uint32_t>(options_.listeners.size());
  hello.config_hash = options_.config_hash;
  hello.control = options_.control ? 1 : 0;
  hello.admin = options_.admin ? 1 : 0;
  auto adopted = adoptable_workers();
  hello.adopt = static_cast<std::uint32_t>(adopted.size());
  hello.draining = draining_ ? 1 : 0;
  if (auto ok = channel_->send({0, hello}); !ok) return ok;
  for (const auto& l : options_.listeners) {
    Listener m;
    m.thread = l.thread;
    m.port = l.port;
    put(m.ip, l.ip);
    if (auto ok = channel_->send({0, m}, {l.fd.get()}); !ok) return ok;
  }
  if (options_.control)
    if (auto ok = channel_->send({0, ControlListener{}}, {options_.control.get()}); !ok) return ok;
  if (options_.admin)
    if (auto ok = channel_->send({0, AdminListener{}}, {options_.admin.get()}); !ok) return ok;
  for (auto& a : adopted)
    if (auto ok = channel_->send({0, a.message}, {a.connection.get(), a.status.get(), a.pidfd.get()}); !ok) return ok;
  log::info("[supervisor] started the front (pid {}) with {} listening sockets{}", pid, options_.listeners.size(),
            adopted.empty() ? "" : fmt::format(" and {} running php-cgi worker(s) to take over", adopted.size()));
  return {};
}

int Supervisor::run() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGCHLD, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  UniqueFd signals(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!signals) {
    log::error("[supervisor] signalfd: {}", std::strerror(errno));
    return 1;
  }
  if (auto ok = start_front(); !ok) {
    log::error("[supervisor] cannot start the front: {}", ok.error().message());
    return 1;
  }
  std::optional<std::chrono::steady_clock::time_point> restart_at;
  while (!stopping_) {
    pollfd fds[3] = {{signals.get(), POLLIN, 0}, {channel_ ? channel_->fd() : -1, POLLIN, 0}, {auth_.fd(), POLLIN, 0}};
    if (::poll(fds, 3, 200) < 0 && errno != EINTR) break;
    if (fds[2].revents & POLLIN)
      for (auto& done : auth_.take()) answer_auth(done);
    if (fds[0].revents & POLLIN) {
      if (handle_signal(signals.get())) break;
      continue;  // a reload may have replaced the channel fds[1] polled
    }
    if (channel_ && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto received = channel_->receive(Reader::Supervisor, 0ms);
      if (received) {
        on_message(std::move(*received));
      } else {
        // EOF: the front is ending (SIGCHLD follows). Anything else: it is hostile or broken.
        if (received.error().errnum != 0 && front_ > 0) {
          log::error("[supervisor] the front sent a bad message ({}): killing it", received.error().message());
          ::kill(front_, SIGKILL);
        }
        channel_.reset();
      }
    }
    if (front_ < 0 && !stopping_) {
      if (!restart_at) {
        const bool quick = std::chrono::steady_clock::now() - front_started_ < 5s;
        restarts_ = quick ? restarts_ + 1 : 0;
        if (restarts_ > 5) {
          log::error("[supervisor] the front died {} times within seconds of starting: giving up", restarts_);
          exit_code_ = 1;
          break;
        }
        restart_at = std::chrono::steady_clock::now() + options_.restart_delay * (1u << restarts_);
      }
      if (std::chrono::steady_clock::now() >= *restart_at) {
        restart_at.reset();
        if (auto ok = start_front(); !ok) {
          log::error("[supervisor] cannot restart the front: {}", ok.error().message());
          exit_code_ = 1;
          break;
        }
      }
    }
  }
  // New connections are refused from now on: the front closes its copies as it drains.
  options_.listeners.clear();
  options_.control.reset();
  options_.admin.reset();
  stop_front();
  stop_workers();
  return exit_code_;
}

// True when the supervisor must stop.
bool Supervisor::handle_signal(int fd) {
  signalfd_siginfo info{};
  if (::read(fd, &info, sizeof info) != sizeof info) return false;
  switch (info.ssi_signo) {
    case SIGCHLD:
      reap_children();
      return false;
    case SIGUSR1:
      reopen_logs();
      return false;
    case SIGHUP:
      log::info("SIGHUP received: reloading the configuration");
      reload(std::nullopt);
      return stopping_;
    default:
      log::info("{} received: stopping (in-flight requests get {}s)", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT",
                options_.config->server.shutdown_timeout.count());
      stopping_ = true;
      return true;
  }
}

// The line goes to the new file right after it is made (logrotate's readers wait for both).
// The front's error-log lines follow too: it cannot open root's new file, so
// it gets a descriptor of it.
void Supervisor::reopen_logs() {
  if (options_.reopen_logs) options_.reopen_logs();
  if (channel_ && front_ready_) {
    const auto path = options_.config->server.log_dir / "error.log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (fd)
      (void)channel_->send({0, ReopenLogs{1}}, {fd.get()});
    else
      (void)channel_->send({0, ReopenLogs{0}});
  }
  log::info("SIGUSR1 received: log files reopened (supervisor and front)");
}

// Only for pids that are live workers: the front learns nothing of other processes.
void Supervisor::on_usage(std::uint64_t id, const Usage& request) {
  UsageResult r;
  r.n = request.n;
  for (std::uint32_t i = 0; i < request.n; ++i) {
    if (!is_live_process(request.pids[i])) continue;
    std::ifstream in(fmt::format("/proc/{}/statm", request.pids[i]));
    std::uint64_t size = 0, resident = 0;
    if (in >> size >> resident) r.rss_kib[i] = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
    r.private_kib[i] = pool::private_memory_kib(request.pids[i]);
  }
  if (channel_) (void)channel_->send({id, r});
}

// What any local user may read in /etc/passwd and /etc/group, as root sees it now.
void Supervisor::on_resolve(std::uint64_t id, const Resolve& request) {
  AuthResult r;
  auto who = accounts::resolve_identity(get(request.account));
  if (!who) {
    r.outcome = who.error().errnum == ENOENT ? 0 : 2;
    put(r.reason, who.error().message().substr(0, sizeof r.reason - 1));
  } else {
    r.outcome = 1;
    r.uid = who->uid;
    r.gid = who->gid;
    r.n_groups = static_cast<std::uint32_t>(std::min(who->groups.size(), kMaxGroups));
    for (std::size_t i = 0; i < r.n_groups; ++i) r.groups[i] = who->groups[i];
    put(r.name, who->name);
  }
  if (channel_) (void)channel_->send({id, r});
}

void Supervisor::on_message(Received received) {
  auto& m = received.message;
  if (std::holds_alternative<Ready>(m.body)) {
    if (auto ok = check_confined(front_); !ok) {
      log::error("[supervisor] the front is not confined ({}): stopping", ok.error().message());
      ::kill(front_, SIGKILL);
      exit_code_ = 1;
      stopping_ = true;
      return;
    }
    front_ready_ = true;
    log::info(
        "[supervisor] the front (pid {}) is confined: not root, NoNewPrivs 1, Seccomp 2, CapEff "
        "CAP_SETUID|CAP_SETGID",
        front_);
    return;
  }
  if (!front_ready_) {
    log::error("[supervisor] the front asked for something before it was confined: killing it");
    ::kill(front_, SIGKILL);
    return;
  }
  if (auto* s = std::get_if<Spawn>(&m.body)) return on_spawn(m.id, *s);
  if (auto* k = std::get_if<Kill>(&m.body)) return on_kill(*k);
  if (auto* a = std::get_if<Auth>(&m.body)) return on_auth(m.id, *a);
  if (auto* u = std::get_if<Usage>(&m.body)) return on_usage(m.id, *u);
  if (auto* r = std::get_if<Resolve>(&m.body)) return on_resolve(m.id, *r);
  if (auto* c = std::get_if<Connect>(&m.body)) return on_connect(m.id, *c);
  if (auto* c = std::get_if<Child>(&m.body)) return on_child(m.id, *c);
  if (auto* i = std::get_if<IniStamp>(&m.body)) return on_ini_stamp(m.id, *i);
  if (auto* o = std::get_if<Order>(&m.body)) {
    if (o->what == 2) return reopen_logs();
    if (o->what == 3) return reload(m.id);
    if (o->what == 4 || o->what == 5) {
      draining_ = o->what == 4;
      return;
    }
    log::info("control socket: stop (through the front)");
    stopping_ = true;
  }
}

void Supervisor::on_spawn(std::uint64_t id, const Spawn& request) {
  auto answer_error = [&](const Error& e) {
    Worker w;
    w.errnum = e.errnum ? e.errnum : EPERM;
    put(w.detail, e.message().substr(0, sizeof w.detail - 1));
    if (channel_) (void)channel_->send({id, w});
  };
  auto key = check_spawn(rules_, request);
  if (!key) {
    log::warn("[supervisor] refused a request of the front: {}", key.error().message());
    return answer_error(key.error());
  }
  const config::Pool* pool = options_.config->find_pool(key->pool);
  std::size_t live = 0;
  for (const auto& [wid, w] : workers_) live += w.key == *key;
  if (live >= 2 * pool->fastcgi.max_instances + 2) {
    Error e = Error::logic("SPAWN from the front", key->pool,
                           fmt::format("{} workers already live for {}", live, key->account));
    e.errnum = EAGAIN;
    log::warn("[supervisor] refused a request of the front: {}", e.message());
    return answer_error(e);
  }
  auto set = options_.pools->get(*key);
  if (!set) return answer_error(set.error());
  pool::SpawnSpec spec = (*set)->spawn_spec();
  if (spec.credentials.uid == 0 || spec.credentials.uid != request.uid) {
    Error e = Error::logic("SPAWN from the front", key->pool, "credentials do not match the request");
    log::warn("[supervisor] refused a request of the front: {}", e.message());
    return answer_error(e);
  }
  const std::uint64_t worker = next_worker_++;
  const bool own = key->account == accounts::pool_account(*pool);
  const auto path = options_.config->server.state_dir / "sockets" /
                    fmt::format("{}-s{}.sock", own ? pool->name : pool->name + "." + key->account, worker);
  auto spawned = pool::spawn_worker(spec, path);
  if (!spawned) {
    log::error("{}", spawned.error().message());
    return answer_error(spawned.error());
  }
  Worker w;
  w.pid = spawned->pid;
  w.worker = worker;
  if (auto ok = channel_->send({id, w}, {spawned->connection.get(), spawned->status_pipe.get(), spawned->pidfd.get()});
      !ok)
    ::kill(spawned->pid, SIGKILL);  // reaped below like any other
  workers_[worker] = {spawned->pid, path.string(), *key};
}

// The front cannot read the new file's roots, bind its new addresses or
// create its accounts: the supervisor checks and prepares everything, and a
// new front starts from it once the old one drained (the listening sockets
// both configurations share stay open here meanwhile: connections wait in
// their backlog, none is refused).
void Supervisor::reload(std::optional<std::uint64_t> reply_to) {
  ReloadAnswer answer;
  if (reloading_) {
    answer.json = R"({"ok": false, "error": "a reload is in progress"})";
  } else if (!options_.reload) {
    answer.json = R"({"ok": false, "error": "this server cannot reload"})";
  } else {
    answer = options_.reload(options_);
  }
  if (reply_to && channel_) {
    ReloadResult r;
    r.ok = answer.ok ? 1 : 0;
    if (!put(r.json, answer.json)) put(r.json, answer.ok ? R"({"ok": true})" : R"({"ok": false})");
    (void)channel_->send({*reply_to, r});
  }
  if (!answer.ok || reloading_) return;
  rules_.config = options_.config;  // the accounts PAM granted stay granted
  rules_.allowed = anonymous_worker_sets(*options_.config);
  reloading_ = true;
  stop_front();
  reloading_ = false;
  if (stopping_) return;
  restarts_ = 0;
  if (auto ok = start_front(); !ok) {
    log::error("[supervisor] cannot start the front after the reload: {}", ok.error().message());
    exit_code_ = 1;
    stopping_ = true;
    return;
  }
  log::info("[supervisor] reloaded: a new front serves the new configuration");
}

// PAM as root (pam_unix reads /etc/shadow itself), on the AuthPool's one
// thread: one check at a time, so a flood of AUTH from a compromised front
// costs it time, not the machine, and never holds up this loop (SPAWN,
// CONNECT, CHILD). Beyond the pool's queue the front is told to retry.
void Supervisor::on_auth(std::uint64_t id, const Auth& request) {
  AuthJob job{front_generation_, id, get(request.user), get(request.password), get(request.remote)};
  if (auth_.submit(std::move(job))) return;
  AuthResult r;
  r.outcome = 2;
  put(r.reason, "too many password checks waiting in the supervisor");
  if (channel_) (void)channel_->send({id, r});
}

// An answer for a front that has gone since is dropped.
void Supervisor::answer_auth(AuthDone& done) {
  if (done.front != front_generation_ || !channel_) return;
  AuthResult r;
  auto& outcome = done.outcome;
  if (!outcome) {
    r.outcome = 2;
    put(r.reason, outcome.error().message().substr(0, sizeof r.reason - 1));
  } else if (!outcome->granted || outcome->identity.uid == 0) {
    put(r.reason, outcome->reason.substr(0, sizeof r.reason - 1));
  } else {
    const auto& who = outcome->identity;
    r.outcome = 1;
    r.uid = who.uid;
    r.gid = who.gid;
    r.n_groups = static_cast<std::uint32_t>(std::min(who.groups.size(), kMaxGroups));
    for (std::size_t i = 0; i < r.n_groups; ++i) r.groups[i] = who.groups[i];
    put(r.name, who.name);
    rules_.authenticated.insert(who.name);
  }
  (void)channel_->send({done.id, r});
}

// A worker's process group gets SIGKILL before the worker is reaped, while
// its pid still names the group: children a php-cgi parent left behind must
// not keep serving (WNOWAIT looks without reaping).
void Supervisor::reap_children() {
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    const pid_t pid = info.si_pid;
    auto worker = std::find_if(workers_.begin(), workers_.end(), [pid](const auto& w) { return w.second.pid == pid; });
    if (worker != workers_.end()) ::kill(-pid, SIGKILL);
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return;
    if (pid == front_) {
      on_front_exit(status);
      continue;
    }
    if (worker == workers_.end()) continue;
    log::debug("[pool {}] worker pid {} {}", worker->second.key.pool, pid, describe_status(status));
    ::unlink(worker->second.socket_path.c_str());
    const std::uint64_t name = worker->first;
    std::erase_if(children_, [name](const auto& c) { return c.second.worker == name; });
    workers_.erase(worker);
  }
}

// In-flight requests are lost; the workers it was given go too (their
// connections died with it), and the next front starts its own.
void Supervisor::on_front_exit(int status) {
  const bool crashed = !stopping_ && !reloading_;
  if (!crashed)
    log::info("[supervisor] the front (pid {}) {}", front_, describe_status(status));
  else
    log::error("[supervisor] the front (pid {}) {}: restarting it; its {} php-cgi worker(s) are kept for the next one",
               front_, describe_status(status), workers_.size());
  front_ = -1;
  front_ready_ = false;
  channel_.reset();
  children_.clear();  // the next front names the children it uses again
  // A crash loses the requests in flight, not the warm workers (issue 9): the
  // next front adopts them. A stop or reload stops them.
  adopt_next_ = crashed;
  if (!crashed)
    for (const auto& [id, w] : workers_) ::kill(w.pid, SIGTERM);
}

void Supervisor::stop_front() {
  if (front_ < 0) return;
  const auto grace = options_.config->server.shutdown_timeout;
  if (channel_) (void)channel_->send({0, Stop{static_cast<std::uint32_t>(grace.count()), reloading_ ? 1u : 0u}});
  // Also when the channel is gone; for a reload, STOP alone (its flag must arrive first).
  if (!channel_ || !reloading_) ::kill(front_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace + 5s;
  // The front's pools stop their workers through KILL: keep answering it while it drains.
  while (front_ > 0 && std::chrono::steady_clock::now() < deadline) {
    reap_children();
    if (front_ < 0) break;
    pollfd p{channel_ ? channel_->fd() : -1, POLLIN, 0};
    for (auto& done : auth_.take()) answer_auth(done);  // the draining front's Basic-auth requests
    if (::poll(&p, 1, 20) > 0 && channel_) {
      auto received = channel_->receive(Reader::Supervisor, 0ms);
      if (received)
        on_message(std::move(*received));
      else
        channel_.reset();
    }
  }
  if (front_ > 0) {
    log::warn("[supervisor] the front did not stop in time: SIGKILL");
    ::kill(front_, SIGKILL);
    int status = 0;
    ::waitpid(front_, &status, 0);
    front_ = -1;
  }
}

void Supervisor::stop_workers() {
  for (const auto& [id, w] : workers_) ::kill(w.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!workers_.empty() && std::chrono::steady_clock::now() < deadline) {
    reap_children();
    if (!workers_.empty()) std::this_thread::sleep_for(20ms);
  }
  for (const auto& [id, w] : workers_) ::kill(-w.pid, SIGKILL);  // the parent and its children
  children_.clear();
  while (!workers_.empty()) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid <= 0) break;
    std::erase_if(workers_, [pid](const auto& kv) { return kv.second.pid == pid; });
  }
}

}  // namespace gatehouse::supervisor

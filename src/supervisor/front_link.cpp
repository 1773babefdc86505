// FrontLink: requests to the supervisor and its answers, on one reader thread.
#include "supervisor/front_link.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "common/log.hpp"

namespace gatehouse::supervisor {
namespace {

using namespace std::chrono_literals;

// The front's main thread (tid == pid) waits for these in sigwait; seccomp
// lets the front signal only itself (tgkill to its own pid).
void signal_main_thread(int sig) { ::syscall(SYS_tgkill, ::getpid(), ::getpid(), sig); }

Error link_error(std::string detail) { return Error::logic("ask the supervisor", "", std::move(detail)); }

}  // namespace

Result<HelloReceived> receive_hello(const Channel& channel, const config::Config& config, std::uint64_t config_hash,
                                    std::chrono::milliseconds timeout) {
  auto hello = channel.receive(Reader::Front, timeout);
  if (!hello) return std::unexpected(hello.error());
  const auto* h = std::get_if<Hello>(&hello->message.body);
  if (!h) return std::unexpected(link_error("the first message is not HELLO"));
  if (h->version != kProtocolVersion)
    return std::unexpected(link_error(fmt::format("protocol version {}, expected {}", h->version, kProtocolVersion)));
  if (h->config_hash != config_hash)
    return std::unexpected(link_error("the supervisor loaded another configuration than this front did"));
  HelloReceived out;
  out.draining = h->draining == 1;
  const bool control = h->control == 1;
  for (std::uint32_t i = 0; i < h->listeners; ++i) {
    auto m = channel.receive(Reader::Front, timeout);
    if (!m) return std::unexpected(m.error());
    const auto* l = std::get_if<Listener>(&m->message.body);
    if (!l) return std::unexpected(link_error("expected a LISTENER"));
    out.listeners.push_back({get(l->ip), l->port, l->thread, std::move(m->fds.front())});
  }
  if (control) {
    auto m = channel.receive(Reader::Front, timeout);
    if (!m) return std::unexpected(m.error());
    if (!std::holds_alternative<ControlListener>(m->message.body))
      return std::unexpected(link_error("expected the control socket"));
    out.control = std::move(m->fds.front());
  }
  if (h->admin == 1) {
    auto m = channel.receive(Reader::Front, timeout);
    if (!m) return std::unexpected(m.error());
    if (!std::holds_alternative<AdminListener>(m->message.body))
      return std::unexpected(link_error("expected the admin listener"));
    out.admin = std::move(m->fds.front());
  }
  for (std::uint32_t i = 0; i < h->adopt; ++i) {
    auto m = channel.receive(Reader::Front, timeout);
    if (!m) return std::unexpected(m.error());
    const auto* a = std::get_if<Adopt>(&m->message.body);
    if (!a) return std::unexpected(link_error("expected a worker to adopt"));
    if (a->pool >= config.pools.size()) return std::unexpected(link_error("a worker to adopt of an unknown pool"));
    pool::SpawnedHandle handle;
    handle.worker = a->worker;
    handle.pid = a->pid;
    handle.connection = std::move(m->fds[0]);
    handle.status_pipe = std::move(m->fds[1]);
    handle.pidfd = std::move(m->fds[2]);
    handle.socket_path = fmt::format("(worker {} of the supervisor)", a->worker);
    out.adopted[{config.pools[a->pool].name, get(a->account)}].push_back(std::move(handle));
  }
  return out;
}

FrontLink::FrontLink(std::unique_ptr<Channel> channel, const config::Config& config)
    : channel_(std::move(channel)), config_(config), reader_([this] { read_loop(); }) {}

FrontLink::~FrontLink() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ::shutdown(channel_->fd(), SHUT_RDWR);  // wakes the reader
  if (reader_.joinable()) reader_.join();
}

Result<accounts::Identity> FrontLink::resolve(const std::string& name) {
  Resolve q;
  if (!put(q.account, name)) return std::unexpected(Error::sys("look up account", name, ENOENT));
  auto answer = request({0, q}, 10s);
  if (!answer) return std::unexpected(answer.error());
  const auto* r = std::get_if<AuthResult>(&answer->message.body);
  if (!r) return std::unexpected(link_error("the answer to RESOLVE is not AUTH_RESULT"));
  if (r->outcome == 0) return std::unexpected(Error::sys("look up account", name, ENOENT));
  if (r->outcome != 1) return std::unexpected(Error::logic("look up account", name, get(r->reason)));
  accounts::Identity id;
  id.name = get(r->name);
  id.uid = r->uid;
  id.gid = r->gid;
  id.groups.assign(r->groups, r->groups + r->n_groups);
  return id;
}

Status FrontLink::ready() { return channel_->send({0, Ready{}}); }

void FrontLink::order(std::uint32_t what) { (void)channel_->send({0, Order{what}}); }

std::string FrontLink::reload() {
  auto answer = request({0, Order{3}}, 120s);
  const ReloadResult* r = answer ? std::get_if<ReloadResult>(&answer->message.body) : nullptr;
  if (!r) {
    const std::string why = answer ? "the answer to RELOAD is not RELOAD_RESULT" : answer.error().message();
    return fmt::format(R"({{"ok": false, "error": "reload: {}"}})", why);  // no quote in either text
  }
  return get(r->json);
}

std::optional<std::uint64_t> FrontLink::rss_kib(pid_t pid) {
  auto u = usage({pid});
  if (u.empty() || u[0].rss_kib == 0) return std::nullopt;
  return u[0].rss_kib;
}

// USAGE in batches of kMaxGroups; zeros past a batch that got no answer.
std::vector<FrontLink::ProcessUsage> FrontLink::usage(const std::vector<pid_t>& pids) {
  std::vector<ProcessUsage> out(pids.size());
  for (std::size_t at = 0; at < pids.size(); at += kMaxGroups) {
    Usage u;
    u.n = static_cast<std::uint32_t>(std::min(kMaxGroups, pids.size() - at));
    for (std::uint32_t i = 0; i < u.n; ++i) u.pids[i] = pids[at + i];
    auto answer = request({0, u}, 10s);
    const auto* r = answer ? std::get_if<UsageResult>(&answer->message.body) : nullptr;
    if (!r || r->n != u.n) break;
    for (std::uint32_t i = 0; i < u.n; ++i) out[at + i] = {r->rss_kib[i], r->private_kib[i]};
  }
  return out;
}

void FrontLink::read_loop() {
  for (;;) {
    auto received = channel_->receive(Reader::Front);
    if (!received) {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        log::error("[front] the supervisor is gone ({}): stopping", received.error().message());
        signal_main_thread(SIGTERM);
      }
      closed_ = true;
      answered_.notify_all();
      return;
    }
    auto& body = received->message.body;
    if (const auto* reopen = std::get_if<ReopenLogs>(&body)) {
      if (reopen->error_log == 1) {
        log::adopt(received->fds.front().release());
        log::info("[front] log files reopened");
      }
      signal_main_thread(SIGUSR1);
      continue;
    }
    if (const auto* stop = std::get_if<Stop>(&body)) {
      stop_for_reload_ = stop->reload == 1;
      signal_main_thread(SIGTERM);
      continue;
    }
    std::lock_guard lock(mutex_);
    auto it = pending_.find(received->message.id);
    if (it == pending_.end()) {
      log::warn("[front] an answer of the supervisor for no request (id {})", received->message.id);
      continue;
    }
    it->second = std::move(*received);
    answered_.notify_all();
  }
}

Result<Received> FrontLink::request(const Message& message, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (closed_) return std::unexpected(link_error("the supervisor is gone"));
  Message m = message;
  m.id = next_id_++;
  pending_[m.id];
  if (auto ok = channel_->send(m); !ok) {
    pending_.erase(m.id);
    return std::unexpected(ok.error());
  }
  bool done = answered_.wait_for(lock, timeout, [&] { return closed_ || pending_[m.id].has_value(); });
  auto node = pending_.extract(m.id);
  if (!done || !node.mapped())
    return std::unexpected(link_error(closed_ ? "the supervisor is gone" : "no answer in time"));
  return std::move(*node.mapped());
}

Result<pool::SpawnedHandle> FrontLink::spawn(const pool::SpawnSpec& spec, const std::filesystem::path&) {
  Spawn s;
  std::uint32_t index = 0;
  for (; index < config_.pools.size(); ++index)
    if (config_.pools[index].name == spec.pool) break;
  s.pool = index;
  s.uid = spec.credentials.uid;
  if (!put(s.account, spec.credentials.name)) return std::unexpected(link_error("account name too long"));
  auto answer = request({0, s}, 30s);
  if (!answer) return std::unexpected(answer.error());
  const auto* w = std::get_if<Worker>(&answer->message.body);
  if (!w) return std::unexpected(link_error("the answer to SPAWN is not WORKER"));
  if (w->errnum != 0) {
    Error e = Error::logic("start php-cgi", spec.pool, "the supervisor refused: " + get(w->detail));
    e.context = "[pool " + spec.pool + "]";
    return std::unexpected(e);
  }
  pool::SpawnedHandle h;
  h.worker = w->worker;
  h.pid = w->pid;
  h.connection = std::move(answer->fds[0]);
  h.status_pipe = std::move(answer->fds[1]);
  h.pidfd = std::move(answer->fds[2]);
  h.socket_path = fmt::format("(worker {} of the supervisor)", w->worker);
  return h;
}

void FrontLink::kill(const pool::SpawnedHandle& worker, int signal) {
  Kill k;
  k.worker = worker.worker;
  k.signal = static_cast<std::uint32_t>(signal);
  (void)channel_->send({0, k});
}

std::optional<int> FrontLink::reap(const pool::SpawnedHandle&) { return -1; }

Result<UniqueFd> FrontLink::connect(const pool::SpawnedHandle& parent) {
  auto answer = request({0, Connect{parent.worker}}, 10s);
  if (!answer) return std::unexpected(answer.error());
  const auto* c = std::get_if<Connected>(&answer->message.body);
  if (!c) return std::unexpected(link_error("the answer to CONNECT is not CONNECTED"));
  if (c->errnum != 0) {
    Error e = Error::logic("connect to php-cgi", std::to_string(parent.pid), "the supervisor: " + get(c->detail));
    e.errnum = c->errnum;
    return std::unexpected(e);
  }
  return std::move(answer->fds[0]);
}

// Asked every few hundred microseconds while an instance starts (a round trip
// to the supervisor each), and not again once a child took it.
Result<std::optional<pool::AcceptedChild>> FrontLink::accepted_by(const pool::SpawnedHandle& parent, int connection) {
  struct stat st {};
  if (::fstat(connection, &st) < 0) return std::unexpected(Error::sys("fstat", "connection to php-cgi"));
  auto answer = request({0, Child{parent.worker, static_cast<std::uint64_t>(st.st_ino)}}, 10s);
  if (!answer) return std::unexpected(answer.error());
  const auto* c = std::get_if<ChildResult>(&answer->message.body);
  if (!c) return std::unexpected(link_error("the answer to CHILD is not CHILD_RESULT"));
  if (c->pid == 0) return std::optional<pool::AcceptedChild>{};
  pool::AcceptedChild child;
  child.worker = c->child;
  child.pid = c->pid;
  child.pidfd = std::move(answer->fds[0]);
  return std::optional<pool::AcceptedChild>(std::move(child));
}

std::optional<pool::FileStamp> FrontLink::php_ini_stamp(const pool::SpawnSpec& spec) {
  IniStamp q;
  for (; q.pool < config_.pools.size(); ++q.pool)
    if (config_.pools[q.pool].name == spec.pool) break;
  auto answer = request({0, q}, 10s);
  const auto* r = answer ? std::get_if<IniStampResult>(&answer->message.body) : nullptr;
  if (!r || r->exists == 0) return std::nullopt;
  return pool::FileStamp{r->dev, r->ino, r->size, r->mtime_ns, r->ctime_ns};
}

std::vector<std::uint64_t> FrontLink::private_kib(const std::vector<pid_t>& pids) {
  std::vector<std::uint64_t> out;
  for (const auto& u : usage(pids)) out.push_back(u.private_kib);
  return out;
}

void FrontLink::kill_child(std::uint64_t child, int, int signal) {
  (void)channel_->send(
      {0, Kill{child, static_cast<std::uint32_t>(signal), static_cast<std::uint32_t>(KillTarget::Child)}});
}

void FrontLink::kill_group(const pool::SpawnedHandle& parent, int signal) {
  (void)channel_->send(
      {0, Kill{parent.worker, static_cast<std::uint32_t>(signal), static_cast<std::uint32_t>(KillTarget::Group)}});
}

Result<accounts::AuthOutcome> FrontLink::authenticate(std::string_view user, std::string_view password,
                                                      std::string_view remote) {
  Auth a;
  accounts::AuthOutcome out;
  // A name or password that does not fit cannot be any account's.
  if (!put(a.user, user) || !put(a.password, password)) {
    out.reason = "user name or password too long";
    return out;
  }
  put(a.remote, remote.substr(0, sizeof a.remote - 1));
  auto answer = request({0, a}, 60s);
  ::explicit_bzero(a.password, sizeof a.password);
  if (!answer) return std::unexpected(answer.error());
  const auto* r = std::get_if<AuthResult>(&answer->message.body);
  if (!r) return std::unexpected(link_error("the answer to AUTH is not AUTH_RESULT"));
  if (r->outcome == 2) return std::unexpected(Error::logic("pam_authenticate", std::string(user), get(r->reason)));
  out.reason = get(r->reason);
  if (r->outcome == 1) {
    out.identity.name = get(r->name);
    out.identity.uid = r->uid;
    out.identity.gid = r->gid;
    out.identity.groups.assign(r->groups, r->groups + r->n_groups);
    out.granted = out.identity.uid != 0;
  }
  return out;
}

}  // namespace gatehouse::supervisor

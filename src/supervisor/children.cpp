// Supervisor: what the front asks about a worker's php-cgi children (issue
// 15 under the split of issue 9). A worker is a php-cgi parent that forks its
// children; the front holds connections to them but cannot connect to the
// sockets (root's folder), read sock_diag and /proc, or signal processes of
// other accounts. Every answer is about a worker this supervisor started and
// a child whose parent is that worker, nothing else.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "common/log.hpp"
#include "pool/php_children.hpp"
#include "pool/spawn_port.hpp"
#include "supervisor/supervisor.hpp"

namespace gatehouse::supervisor {
namespace {

constexpr std::size_t kMaxChildren = 4096;  // names kept for live children, all workers together

bool ended(const UniqueFd& pidfd) {
  pollfd p{pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

// /proc/<pid>/status's PPid, read after the pidfd was opened: the process the
// pidfd names is still the one the scan found only if it is still the
// parent's child.
pid_t parent_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string key;
  while (in >> key) {
    if (key == "PPid:") {
      pid_t ppid = 0;
      in >> ppid;
      return ppid;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace

void Supervisor::on_connect(std::uint64_t id, const Connect& request) {
  Connected answer;
  auto it = workers_.find(request.worker);
  if (it == workers_.end()) {
    answer.errnum = ESRCH;
    put(answer.detail, "no such worker");
    log::warn("[supervisor] refused a request of the front: CONNECT to worker {}", request.worker);
    (void)channel_->send({id, answer});
    return;
  }
  auto connected = pool::connect_unix(it->second.socket_path);
  if (!connected) {
    answer.errnum = connected.error().errnum ? connected.error().errnum : EIO;
    put(answer.detail, connected.error().message().substr(0, sizeof answer.detail - 1));
    (void)channel_->send({id, answer});
    return;
  }
  (void)channel_->send({id, answer}, {connected->get()});
}

void Supervisor::on_child(std::uint64_t id, const Child& request) {
  ChildResult answer;
  auto it = workers_.find(request.worker);
  pid_t child = it == workers_.end() ? 0 : pool::accepted_by_inode(static_cast<ino_t>(request.inode), it->second.pid);
  if (child <= 0) {
    (void)channel_->send({id, answer});
    return;
  }
  for (auto& [name, c] : children_)
    if (c.pid == child && c.worker == request.worker && !ended(c.pidfd)) {
      answer.pid = child;
      answer.child = name;
      (void)channel_->send({id, answer}, {c.pidfd.get()});
      return;
    }
  UniqueFd pidfd = pool::pidfd_open(child);
  if (!pidfd || parent_of(child) != it->second.pid) {  // gone since the scan
    (void)channel_->send({id, answer});
    return;
  }
  std::erase_if(children_, [](const auto& entry) { return ended(entry.second.pidfd); });
  if (children_.size() >= kMaxChildren) {
    log::warn("[supervisor] {} live php-cgi children named already: refusing CHILD", children_.size());
    (void)channel_->send({id, answer});
    return;
  }
  const std::uint64_t name = next_worker_++;
  answer.pid = child;
  answer.child = name;
  (void)channel_->send({id, answer}, {pidfd.get()});
  children_[name] = {child, std::move(pidfd), request.worker};
}

// A worker's pid names it (and its group) until reap_children took it; a
// child is signalled through its pidfd, never by a pid php-cgi may have reused.
void Supervisor::on_kill(const Kill& request) {
  const auto target = static_cast<KillTarget>(request.target);
  const int sig = static_cast<int>(request.signal);
  if (request.signal != SIGTERM && request.signal != SIGKILL) {
    log::warn("[supervisor] refused a request of the front: KILL with signal {}", request.signal);
    return;
  }
  if (target == KillTarget::Child) {
    auto c = children_.find(request.worker);
    if (c == children_.end()) {
      log::warn("[supervisor] refused a request of the front: KILL child {}", request.worker);
      return;
    }
    pool::pidfd_signal(c->second.pidfd.get(), sig);
    return;
  }
  auto it = workers_.find(request.worker);
  if (it == workers_.end()) {
    log::warn("[supervisor] refused a request of the front: KILL worker {} signal {}", request.worker, request.signal);
    return;
  }
  it->second.signalled = true;
  ::kill(target == KillTarget::Group ? -it->second.pid : it->second.pid, sig);
}

// Only a pool's own php.ini, named by the configuration, never a path the front chose.
void Supervisor::on_ini_stamp(std::uint64_t id, const IniStamp& request) {
  IniStampResult answer;
  if (request.pool < options_.config->pools.size()) {
    if (auto stamp = pool::stamp_of(options_.config->pools[request.pool].php_ini)) {
      answer.exists = 1;
      answer.dev = stamp->dev;
      answer.ino = stamp->ino;
      answer.size = stamp->size;
      answer.mtime_ns = stamp->mtime_ns;
      answer.ctime_ns = stamp->ctime_ns;
    }
  }
  (void)channel_->send({id, answer});
}

// After a crash of the front, once: each live worker of a pool the
// configuration still has, with a new connection (a child accepts it as an
// instance), a status pipe already at EOF (it exec'd long ago) and a pidfd.
// A worker that cannot be handed over is stopped.
std::vector<Supervisor::Adoption> Supervisor::adoptable_workers() {
  std::vector<Adoption> out;
  if (!adopt_next_) return out;
  adopt_next_ = false;
  for (auto& [name, w] : workers_) {
    if (w.signalled) continue;
    const auto& pools = options_.config->pools;
    auto pool = std::find_if(pools.begin(), pools.end(), [&](const auto& p) { return p.name == w.key.pool; });
    Adoption a;
    auto connection = pool == pools.end() ? Result<UniqueFd>(std::unexpected(Error::logic("adopt", w.key.pool, "gone")))
                                          : pool::connect_unix(w.socket_path);
    a.pidfd = pool::pidfd_open(w.pid);
    int fds[2];
    if (!connection || !a.pidfd || ::pipe2(fds, O_CLOEXEC) < 0) {
      log::warn("[pool {}] cannot hand php-cgi worker pid {} to the new front: stopping it", w.key.pool, w.pid);
      w.signalled = true;
      ::kill(w.pid, SIGTERM);
      continue;
    }
    a.status.reset(fds[0]);
    ::close(fds[1]);
    a.connection = std::move(*connection);
    a.message.pool = static_cast<std::uint32_t>(pool - pools.begin());
    a.message.pid = w.pid;
    a.message.worker = name;
    put(a.message.account, w.key.account);
    out.push_back(std::move(a));
  }
  return out;
}

bool Supervisor::is_live_process(pid_t pid) const {
  for (const auto& [wid, w] : workers_)
    if (w.pid == pid) return true;
  for (const auto& [name, c] : children_)
    if (c.pid == pid && !ended(c.pidfd)) return true;
  return false;
}

}  // namespace gatehouse::supervisor

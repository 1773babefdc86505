// Supervisor: what the front asks about a worker's php-cgi children (issue
// 15 under the split of issue 9). A worker is a php-cgi parent that forks its
// children; the front holds connections to them but cannot connect to the
// sockets (root's folder), read sock_diag and /proc, or signal processes of
// other accounts. Every answer is about a worker this supervisor started and
// a child whose parent is that worker, nothing else.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>

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

bool Supervisor::is_live_process(pid_t pid) const {
  for (const auto& [wid, w] : workers_)
    if (w.pid == pid) return true;
  for (const auto& [name, c] : children_)
    if (c.pid == pid && !ended(c.pidfd)) return true;
  return false;
}

}  // namespace gatehouse::supervisor

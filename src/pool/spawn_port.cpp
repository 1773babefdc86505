// LocalSpawnPort: the in-process SpawnPort, a thin shell over spawn_worker.
#include "pool/spawn_port.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/php_children.hpp"

namespace gatehouse::pool {

Result<SpawnedHandle> LocalSpawnPort::spawn(const SpawnSpec& spec, const std::filesystem::path& socket_path) {
  auto spawned = spawn_worker(spec, socket_path);
  if (!spawned) return std::unexpected(spawned.error());
  SpawnedHandle h;
  h.worker = static_cast<std::uint64_t>(spawned->pid);
  h.pid = spawned->pid;
  h.connection = std::move(spawned->connection);
  h.status_pipe = std::move(spawned->status_pipe);
  h.pidfd = std::move(spawned->pidfd);
  h.socket_path = std::move(spawned->socket_path);
  return h;
}

// Not reaped before reap(): the pid cannot have been reused yet.
void LocalSpawnPort::kill(const SpawnedHandle& worker, int signal) { ::kill(worker.pid, signal); }

// The group first, while the parent's pid still names it: children a php-cgi
// parent left behind (SIGKILLed, or gone on SIGTERM without waiting for
// them) must not keep serving.
std::optional<int> LocalSpawnPort::reap(const SpawnedHandle& worker) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(worker.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0)
    return std::nullopt;
  ::kill(-worker.pid, SIGKILL);
  int status = 0;
  if (::waitpid(worker.pid, &status, WNOHANG) == 0) return std::nullopt;
  ::unlink(worker.socket_path.c_str());
  return status;
}

Result<UniqueFd> LocalSpawnPort::connect(const SpawnedHandle& parent) { return connect_unix(parent.socket_path); }

Result<std::optional<AcceptedChild>> LocalSpawnPort::accepted_by(const SpawnedHandle& parent, int connection) {
  pid_t child = pool::accepted_by(connection, parent.pid);
  if (child <= 0) return std::optional<AcceptedChild>{};
  AcceptedChild c;
  c.pid = child;
  c.worker = static_cast<std::uint64_t>(child);
  c.pidfd = pidfd_open(child);
  if (!c.pidfd) return std::unexpected(Error::sys("pidfd_open", std::to_string(child)));
  return std::optional<AcceptedChild>(std::move(c));
}

// Through the pidfd: php-cgi's parent reaps its children, so their pids may
// be reused by then.
void LocalSpawnPort::kill_child(std::uint64_t, int pidfd, int signal) { pidfd_signal(pidfd, signal); }

void LocalSpawnPort::kill_group(const SpawnedHandle& parent, int signal) { ::kill(-parent.pid, signal); }

std::optional<FileStamp> stamp_of(const std::filesystem::path& path) {
  struct ::stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  return FileStamp{st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

std::optional<FileStamp> LocalSpawnPort::php_ini_stamp(const SpawnSpec& spec) { return stamp_of(spec.php_ini); }

LocalSpawnPort& LocalSpawnPort::instance() {
  static LocalSpawnPort port;
  return port;
}

}  // namespace gatehouse::pool

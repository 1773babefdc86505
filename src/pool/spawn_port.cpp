// LocalSpawnPort: the in-process SpawnPort, a thin shell over spawn_worker.
#include "pool/spawn_port.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

std::optional<int> LocalSpawnPort::reap(const SpawnedHandle& worker) {
  int status = 0;
  if (::waitpid(worker.pid, &status, WNOHANG) == 0) return std::nullopt;
  ::unlink(worker.socket_path.c_str());
  return status;
}

LocalSpawnPort& LocalSpawnPort::instance() {
  static LocalSpawnPort port;
  return port;
}

}  // namespace gatehouse::pool

// The seam between a worker set and whoever starts its php-cgi children: in
// one process the spawner itself (LocalSpawnPort); after the privilege split
// the front asks the root supervisor over a socketpair (supervisor/).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "pool/spawner.hpp"

namespace gatehouse::pool {

// A started child as the worker set sees it. `status_pipe` gives EOF once
// execve succeeded, or a ChildReport; `pidfd` becomes readable at its exit.
struct SpawnedHandle {
  std::uint64_t worker = 0;  // the port's name for it: kill() and reap() take it
  pid_t pid = -1;
  UniqueFd connection;
  UniqueFd status_pipe;
  UniqueFd pidfd;
  std::filesystem::path socket_path;  // for messages
};

class SpawnPort {
 public:
  virtual ~SpawnPort() = default;
  // Starts one worker for `spec` (its pool and credentials say which worker
  // set); `socket_path` is where an in-process spawner puts its socket (the
  // supervisor chooses its own). Returns once the child exists. Blocking:
  // called on the pool manager's thread only, never on an I/O thread.
  virtual Result<SpawnedHandle> spawn(const SpawnSpec& spec, const std::filesystem::path& socket_path) = 0;
  // SIGTERM or SIGKILL to a worker this port started (harmless once it exited).
  virtual void kill(const SpawnedHandle& worker, int signal) = 0;
  // Once its pidfd is readable: the wait status, or nullopt when it cannot be
  // reaped yet; its socket file is removed. -1 when another process reaped it.
  virtual std::optional<int> reap(const SpawnedHandle& worker) = 0;
};

// Today's spawner, in this process: fork+exec, kill(2), waitpid.
class LocalSpawnPort final : public SpawnPort {
 public:
  Result<SpawnedHandle> spawn(const SpawnSpec& spec, const std::filesystem::path& socket_path) override;
  void kill(const SpawnedHandle& worker, int signal) override;
  std::optional<int> reap(const SpawnedHandle& worker) override;

  // The process-wide in-process port (it keeps no state).
  static LocalSpawnPort& instance();
};

}  // namespace gatehouse::pool

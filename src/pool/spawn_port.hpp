// The seam between a worker set and whoever starts and controls its php-cgi
// processes: in one process the spawner itself (LocalSpawnPort); after the
// privilege split the front asks the root supervisor over a socketpair
// (supervisor/), since it can neither connect to the sockets, read /proc nor
// signal processes of other accounts.
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

// A child of a php-cgi parent, once it accepted one of our connections.
// `pidfd` becomes readable at its exit (php-cgi's parent reaps it, not us).
struct AcceptedChild {
  std::uint64_t worker = 0;  // the port's name for it: kill() takes it
  pid_t pid = 0;
  UniqueFd pidfd;
};

// What identifies one version of a file: a php.ini read by a parent started
// ahead of any request is compared at the first request (a `perms apply` in
// between changes its ctime). nullopt: the file cannot be looked at.
struct FileStamp {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
std::optional<FileStamp> stamp_of(const std::filesystem::path& path);

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
  // A new connection to the listening socket of a worker (a php-cgi parent),
  // which one of its children accepts. On the manager's thread.
  virtual Result<UniqueFd> connect(const SpawnedHandle& parent) = 0;
  // The child of `parent` that accepted `connection` (our end of it), or
  // nullopt while none has (php-cgi still starting, every child busy).
  virtual Result<std::optional<AcceptedChild>> accepted_by(const SpawnedHandle& parent, int connection) = 0;
  // SIGTERM or SIGKILL to the child accepted_by() named `worker`, whose
  // pidfd we hold (never to a process that reused its pid); and to the whole
  // process group of a parent (reap() does it too, before taking the parent).
  virtual void kill_child(std::uint64_t worker, int pidfd, int signal) = 0;
  virtual void kill_group(const SpawnedHandle& parent, int signal) = 0;
  // The stamp of the php.ini `spec` names, as the process that spawns sees
  // it (the confined front may not be able to look at it).
  virtual std::optional<FileStamp> php_ini_stamp(const SpawnSpec& spec) = 0;
  // Once its pidfd is readable: the wait status, or nullopt when it cannot be
  // reaped yet; its process group gets SIGKILL first (children it left must
  // not keep serving) and its socket file is removed. -1 when another process
  // reaped it.
  virtual std::optional<int> reap(const SpawnedHandle& worker) = 0;
};

// Today's spawner, in this process: fork+exec, kill(2), waitpid.
class LocalSpawnPort final : public SpawnPort {
 public:
  Result<SpawnedHandle> spawn(const SpawnSpec& spec, const std::filesystem::path& socket_path) override;
  void kill(const SpawnedHandle& worker, int signal) override;
  std::optional<int> reap(const SpawnedHandle& worker) override;
  Result<UniqueFd> connect(const SpawnedHandle& parent) override;
  Result<std::optional<AcceptedChild>> accepted_by(const SpawnedHandle& parent, int connection) override;
  void kill_child(std::uint64_t worker, int pidfd, int signal) override;
  void kill_group(const SpawnedHandle& parent, int signal) override;
  std::optional<FileStamp> php_ini_stamp(const SpawnSpec& spec) override;

  // The process-wide in-process port (it keeps no state).
  static LocalSpawnPort& instance();
};

}  // namespace gatehouse::pool

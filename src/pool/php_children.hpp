// The children of a php-cgi parent (PHP_FCGI_CHILDREN), seen from outside:
// which one accepted a connection, a pidfd for it, signals through pidfds.
// Used by LocalSpawnPort in one process and by the root supervisor under the
// privilege split (the front can read neither sock_diag nor /proc of others).
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace gatehouse::pool {

// The pid of the child of `parent` that accepted the connection `fd` (our
// end), or 0 when no child has accepted it yet (or it is not found).
pid_t accepted_by(int fd, pid_t parent);
// The same from the inode of our end (fstat's st_ino), for a process that
// does not hold the socket itself.
pid_t accepted_by_inode(ino_t ino, pid_t parent);

// Signals the process behind a pidfd: never a process that reused the pid.
int pidfd_signal(int pidfd, int sig);
UniqueFd pidfd_open(pid_t pid);

// A new connection to a unix socket, on a descriptor above 2.
Result<UniqueFd> connect_unix(const std::filesystem::path& path);

}  // namespace gatehouse::pool

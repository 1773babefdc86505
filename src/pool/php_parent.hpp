// The php-cgi parent of one (pool, identity): php-cgi started with
// PHP_FCGI_CHILDREN forks its children after OPcache and APCu have mapped
// their shared memory, so every child of the set shares both, and a child
// forked to replace a recycled one starts warm. Gatehouse's instances are
// connections to the set's one listening socket; the child that accepted a
// connection keeps it (FCGI_KEEP_CONN) and is found through sock_diag
// (php_children.hpp, asked through the SpawnPort), so each instance still has
// its own pid, pidfd, count and kill. See README.md.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "pool/spawn_port.hpp"
#include "pool/spawner.hpp"

namespace gatehouse::pool {

struct PhpParent {
  PhpParent(boost::asio::any_io_executor ex, std::uint64_t id_, SpawnedHandle& spawned, std::uint64_t generation_);

  // A connection to the set's socket (SpawnPort::connect) waits in the listen
  // backlog until a child accepts it (at once when one waits in accept()).
  // SIGTERM (SpawnPort::kill): php-cgi's parent passes it to its process
  // group and exits; its children finish their scripts. The whole group
  // (SpawnPort::kill_group: the parent is a session leader, its children stay
  // in its group) gets SIGKILL after the grace, and when the parent ended.

  std::uint64_t id;
  SpawnedHandle handle;  // the port's name for it (its descriptors live below)
  pid_t pid;
  std::filesystem::path socket_path;
  boost::asio::posix::stream_descriptor status;  // EOF once execve succeeded
  boost::asio::posix::stream_descriptor pidfd;
  boost::asio::steady_timer kill_timer;
  ChildReport report;
  std::uint64_t generation;
  accounts::Identity credentials;  // what it runs as: its children too
  bool ready = false;              // a child of it accepted a connection: php-cgi is up
  // Started ahead of any request (prestart, recycle): checked once, at the
  // first request, against the php.ini it read (see WorkerPool::check_provisional).
  bool provisional = false;
  bool stale = false;            // its php.ini changed before it served: never used again
  std::optional<FileStamp> ini;  // php.ini as it was when the parent started
  bool signalled = false;        // we stopped it: its exit is no failure
  bool reaped = false;
};

}  // namespace gatehouse::pool

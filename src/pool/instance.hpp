// One instance of a WorkerPool: a connection to the set's php-cgi parent
// and, once a child accepted it, that child. Internal to src/pool.
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "pool/worker_pool.hpp"

namespace gatehouse::pool {

struct WorkerPool::Worker {
  Worker(boost::asio::any_io_executor ex, std::uint64_t id_, const PhpParent& p, UniqueFd c)
      : id(id_),
        parent(p.id),
        parent_pid(p.pid),
        connection(std::move(c)),
        socket_path(p.socket_path),
        pidfd(ex),
        kill_timer(ex),
        accept_timer(ex),
        generation(p.generation) {}

  std::uint64_t id;
  std::uint64_t parent;  // the PhpParent whose child holds the connection
  pid_t parent_pid;
  pid_t pid = 0;            // that child, once it accepted; 0 before
  std::uint64_t child = 0;  // the SpawnPort's name for that child (kill_child)
  UniqueFd connection;      // empty while lent out
  // After a lease: the socket, still registered with that I/O thread's reactor,
  // so the next request on the same thread reuses it without two epoll_ctl calls.
  std::optional<Lease::Socket> socket;
  std::filesystem::path socket_path;
  boost::asio::posix::stream_descriptor pidfd;  // of the child; it is php-cgi's to reap, not ours
  boost::asio::steady_timer kill_timer;
  boost::asio::steady_timer accept_timer;
  Clock::time_point connected = Clock::now();
  State state = State::Starting;
  unsigned served = 0;
  std::uint64_t generation = 0;
  bool signalled = false;        // we signalled it: its exit is not a failure
  bool failure_counted = false;  // already counted (start failure, broken I/O)
  Clock::time_point idle_since;
  Clock::time_point started = Clock::now();
  pid_t replaces = 0;  // the child this instance takes over from (a planned recycle), for the log
};

}  // namespace gatehouse::pool

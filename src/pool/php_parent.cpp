// The php-cgi parent of a worker set: its handle and the descriptors that
// tell when it exec'd or ended. Connecting and signalling go through the
// SpawnPort (worker_pool_parent.cpp).
#include "pool/php_parent.hpp"

namespace gatehouse::pool {

PhpParent::PhpParent(boost::asio::any_io_executor ex, std::uint64_t id_, SpawnedHandle& spawned,
                     std::uint64_t generation_)
    : id(id_),
      pid(spawned.pid),
      socket_path(spawned.socket_path),
      status(ex, spawned.status_pipe.release()),
      pidfd(ex, spawned.pidfd.release()),
      kill_timer(ex),
      generation(generation_) {
  handle.worker = spawned.worker;
  handle.pid = spawned.pid;
  handle.socket_path = spawned.socket_path;
}

}  // namespace gatehouse::pool

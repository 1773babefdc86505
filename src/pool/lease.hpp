// A worker lent to one request: its connected socket (persistent, FCGI_KEEP_CONN)
// on the caller's executor, and the way back to the pool. Exactly one of
// release / fail / abandon / kill ends it; destroying it unended abandons it.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>
#include <optional>

namespace gatehouse::pool {

class WorkerPool;

// How a request left its worker; decides what the pool does with it.
enum class LeaseEnd {
  Ok,       // END_REQUEST seen, connection clean: the worker serves the next request
  Failed,   // I/O with the worker failed (EOF, reset, bad records): a worker failure, recycled
  Abandon,  // cut short on our side (client left): recycled gracefully, not a failure
  Kill,     // activity_timeout / request_timeout: SIGTERM, signal_before_terminate, SIGKILL
};

// Timeouts are the caller's: it runs the I/O, so it knows when the worker last
// spoke. On expiry it calls kill(); that is not counted as a rapid failure
// (a slow script is not a crashing worker).
class Lease {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  // Bound to the executor given to async_acquire. Do not close it.
  Socket& socket() { return *socket_; }
  pid_t pid() const { return pid_; }
  // Requests this worker completed before this one (0: a fresh worker).
  unsigned served_before() const { return served_before_; }
  bool active() const { return pool_ != nullptr; }

  void release() { end(LeaseEnd::Ok); }
  // For callers that moved the socket into a fastcgi::Connection: hand it back
  // (conn.socket()) so the connection persists. A lease released without its
  // socket recycles the worker.
  void release(Socket&& socket) {
    socket_.emplace(std::move(socket));
    end(LeaseEnd::Ok);
  }
  void fail() { end(LeaseEnd::Failed); }
  void abandon() { end(LeaseEnd::Abandon); }
  void kill() { end(LeaseEnd::Kill); }
  // Call from the thread that runs the socket's executor, with no operation
  // pending on the socket.
  void end(LeaseEnd how);

 private:
  friend class WorkerPool;
  Lease(WorkerPool* pool, std::uint64_t worker, pid_t pid, unsigned served_before, Socket socket);

  WorkerPool* pool_ = nullptr;
  std::uint64_t worker_ = 0;
  pid_t pid_ = -1;
  unsigned served_before_ = 0;
  std::optional<Socket> socket_;
};

}  // namespace gatehouse::pool

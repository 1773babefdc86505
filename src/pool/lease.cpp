// Lease: gives the worker's connection back to its pool (or drops it) exactly once.
#include "pool/lease.hpp"

#include "pool/worker_pool.hpp"

namespace gatehouse::pool {

Lease::Lease(WorkerPool* pool, std::uint64_t worker, pid_t pid, unsigned served_before, Socket socket)
    : pool_(pool), worker_(worker), pid_(pid), served_before_(served_before), socket_(std::move(socket)) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      worker_(other.worker_),
      pid_(other.pid_),
      served_before_(other.served_before_),
      socket_(std::move(other.socket_)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    end(LeaseEnd::Abandon);
    pool_ = std::exchange(other.pool_, nullptr);
    worker_ = other.worker_;
    pid_ = other.pid_;
    served_before_ = other.served_before_;
    socket_ = std::move(other.socket_);
  }
  return *this;
}

Lease::~Lease() { end(LeaseEnd::Abandon); }

void Lease::end(LeaseEnd how) {
  if (!pool_) return;
  WorkerPool* pool = std::exchange(pool_, nullptr);
  // The socket goes back in every case: on a clean end the connection
  // persists, else the pool closes it once it has signalled the child.
  std::optional<Socket> kept;
  if (socket_ && socket_->is_open()) kept = std::move(socket_);
  socket_.reset();
  // A clean end whose connection could not be kept is not clean any more.
  if (how == LeaseEnd::Ok && !kept) how = LeaseEnd::Abandon;
  pool->end_lease(worker_, std::move(kept), how);
}

}  // namespace gatehouse::pool

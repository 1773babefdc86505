// Requests that arrived on one I/O thread and those still in flight (issue 18:
// `gatehouse drain` waits until the balancer stopped sending, then until these ended).
// Written by the worker's thread only, read by any thread (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace gatehouse::http {

struct TrafficSample {
  std::uint64_t arrived = 0;    // request heads begun since start
  std::uint64_t in_flight = 0;  // begun and not yet answered (or abandoned)
};

class Traffic {
 public:
  // One request in flight: counted on arrival, uncounted when it goes (its
  // response was written, or the connection ended without one).
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(Traffic& t) : traffic_(&t) {
      t.arrived_.fetch_add(1, std::memory_order_relaxed);
      t.in_flight_.fetch_add(1, std::memory_order_relaxed);
    }
    Ticket(Ticket&& o) noexcept : traffic_(std::exchange(o.traffic_, nullptr)) {}
    Ticket& operator=(Ticket&& o) noexcept {
      if (this != &o) {
        reset();
        traffic_ = std::exchange(o.traffic_, nullptr);
      }
      return *this;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { reset(); }
    void reset() {
      if (auto* t = std::exchange(traffic_, nullptr)) t->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    Traffic* traffic_ = nullptr;
  };

  Ticket arrive() { return Ticket(*this); }
  TrafficSample sample() const {
    return {arrived_.load(std::memory_order_relaxed), in_flight_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<std::uint64_t> arrived_{0};
  std::atomic<std::uint64_t> in_flight_{0};
};

}  // namespace gatehouse::http

// `gatehouse drain` on the server's side (issue 18): readiness goes off, then
// the node waits until the balancer has stopped sending (no new request for
// `quiet`, or `deadline` passed), then until the requests in flight ended (at
// most `grace`). It keeps serving throughout: the balancer decides. Driven by
// the control socket's polls (observe), with the time given, so tests need no clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace gatehouse::control {

struct TrafficCount {
  std::uint64_t arrived = 0;    // requests begun since the server started
  std::uint64_t in_flight = 0;  // begun and not yet answered
};
using TrafficProbe = std::function<TrafficCount()>;

using Millis = std::chrono::milliseconds;
using Instant = std::chrono::steady_clock::time_point;

struct DrainOptions {
  Millis quiet{5000};      // no new request for this long: the balancer stopped sending
  Millis deadline{60000};  // or this long after the drain began, whatever came in
};

enum class DrainPhase { Quieting, Finishing, Drained };

struct DrainProgress {
  DrainPhase phase = DrainPhase::Quieting;
  DrainOptions options;
  std::uint64_t seen = 0;  // requests that arrived since the drain began
  std::uint64_t in_flight = 0;
  Millis elapsed{0};             // since the drain began (frozen once drained)
  Millis quiet_for{0};           // since the last new request (or the start)
  bool deadline_passed = false;  // requests still arrived when the deadline came
  bool again = false;            // begin() found a drain under way: its own options hold
  bool ended_now = false;        // this observe() saw the drain end (the server logs it once)
};

class Drain {
 public:
  // `grace`: how long in-flight requests get once the balancer stopped (the
  // server's shutdown_timeout, what a stop would give them).
  Drain(TrafficProbe traffic, Millis grace) : traffic_(std::move(traffic)), grace_(grace) {}

  // For the readiness endpoint (any thread).
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Starts a drain; a second begin keeps the first one's start and options.
  DrainProgress begin(const DrainOptions& options, Instant now);
  // Where the drain is now; nullopt when none was begun (or it was cancelled).
  std::optional<DrainProgress> observe(Instant now);
  // Readiness back on (an upgrade called off). False when nothing was draining.
  bool cancel();

 private:
  void step(Instant now);
  DrainProgress progress(Instant now) const;

  TrafficProbe traffic_;
  Millis grace_;
  std::atomic<bool> draining_{false};
  std::mutex mutex_;
  DrainPhase phase_ = DrainPhase::Quieting;
  DrainOptions options_;
  Instant started_, last_arrival_, finishing_since_, ended_;
  std::uint64_t arrived_at_start_ = 0, last_arrived_ = 0, in_flight_ = 0;
  bool deadline_passed_ = false;
};

// The control socket's answer: {"ok": true, "phase": "quieting", ...}.
nlohmann::json drain_json(const DrainProgress& p);
// Reads "QUIET_MS DEADLINE_MS" (the control verb's argument); nullopt when malformed or out of range.
std::optional<DrainOptions> parse_drain_options(std::string_view text);

inline constexpr Millis kMaxQuiet = std::chrono::hours(1);
inline constexpr Millis kMaxDeadline = std::chrono::hours(24);

}  // namespace gatehouse::control

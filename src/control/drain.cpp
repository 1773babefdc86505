// The drain's phases: quieting (the balancer still sends) -> finishing
// (requests in flight end) -> drained; the result stays for later polls.
#include "control/drain.hpp"

#include <charconv>

namespace gatehouse::control {
namespace {

Millis since(Instant from, Instant now) { return std::chrono::duration_cast<Millis>(now - from); }

const char* phase_name(DrainPhase p) {
  switch (p) {
    case DrainPhase::Quieting:
      return "quieting";
    case DrainPhase::Finishing:
      return "finishing";
    case DrainPhase::Drained:
      return "drained";
  }
  return "?";
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

DrainProgress Drain::begin(const DrainOptions& options, Instant now) {
  std::lock_guard lock(mutex_);
  if (draining_.load(std::memory_order_relaxed)) {
    step(now);
    auto p = progress(now);
    p.again = true;
    return p;
  }
  const auto t = traffic_();
  options_ = options;
  phase_ = DrainPhase::Quieting;
  started_ = last_arrival_ = now;
  arrived_at_start_ = last_arrived_ = t.arrived;
  in_flight_ = t.in_flight;
  deadline_passed_ = false;
  draining_.store(true, std::memory_order_release);
  return progress(now);
}

std::optional<DrainProgress> Drain::observe(Instant now) {
  std::lock_guard lock(mutex_);
  if (!draining_.load(std::memory_order_relaxed)) return std::nullopt;
  const bool was_drained = phase_ == DrainPhase::Drained;
  step(now);
  auto p = progress(now);
  p.ended_now = !was_drained && phase_ == DrainPhase::Drained;
  return p;
}

bool Drain::cancel() { return draining_.exchange(false, std::memory_order_acq_rel); }

void Drain::step(Instant now) {
  if (phase_ == DrainPhase::Drained) return;
  const auto t = traffic_();
  in_flight_ = t.in_flight;
  if (phase_ == DrainPhase::Quieting) {
    if (t.arrived != last_arrived_) {  // new requests since the last look: the balancer still sends
      last_arrived_ = t.arrived;
      last_arrival_ = now;
    }
    const bool quiet = since(last_arrival_, now) >= options_.quiet;
    if (!quiet && since(started_, now) < options_.deadline) return;
    deadline_passed_ = !quiet;
    phase_ = DrainPhase::Finishing;
    finishing_since_ = now;
  }
  if (in_flight_ == 0 || since(finishing_since_, now) >= grace_) {
    phase_ = DrainPhase::Drained;
    ended_ = now;
  }
}

DrainProgress Drain::progress(Instant now) const {
  DrainProgress p;
  p.phase = phase_;
  p.options = options_;
  p.seen = last_arrived_ - arrived_at_start_;
  p.in_flight = in_flight_;
  const Instant at = phase_ == DrainPhase::Drained ? ended_ : now;
  p.elapsed = since(started_, at);
  p.quiet_for = since(last_arrival_, at);
  p.deadline_passed = deadline_passed_;
  return p;
}

nlohmann::json drain_json(const DrainProgress& p) {
  return {{"ok", true},
          {"phase", phase_name(p.phase)},
          {"quiet_ms", p.options.quiet.count()},
          {"deadline_ms", p.options.deadline.count()},
          {"seen", p.seen},
          {"in_flight", p.in_flight},
          {"elapsed_ms", p.elapsed.count()},
          {"quiet_for_ms", p.quiet_for.count()},
          {"deadline_passed", p.deadline_passed},
          {"again", p.again}};
}

std::optional<DrainOptions> parse_drain_options(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto quiet = number(text.substr(0, space));
  auto deadline = number(text.substr(space + 1));
  if (!quiet || !deadline) return std::nullopt;
  if (*quiet > static_cast<std::uint64_t>(kMaxQuiet.count()) || *deadline == 0 ||
      *deadline > static_cast<std::uint64_t>(kMaxDeadline.count()))
    return std::nullopt;
  return DrainOptions{Millis(*quiet), Millis(*deadline)};
}

}  // namespace gatehouse::control

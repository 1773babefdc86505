// Sliding-window failure counting per address with an LRU cap on memory.
#include "accounts/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace gatehouse::accounts {
namespace {

// Failures past free_failures needed before the doubling reaches max_delay.
std::size_t failures_to_cap(const ThrottleOptions& o) {
  std::size_t steps = 1;
  for (auto d = o.first_delay; d < o.max_delay && steps < 64; d *= 2) ++steps;
  return o.free_failures + steps;
}

}  // namespace

std::string throttle_key(std::string_view address) {
  const std::string text(address);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return text;  // IPv4 or not an address
  constexpr std::array<unsigned char, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    inet_ntop(AF_INET, bytes.data() + 12, out, sizeof out);
    return out;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
  return std::string(out) + "/64";
}

FailureThrottle::FailureThrottle(ThrottleOptions options, Now now)
    : options_(options), now_(std::move(now)), kept_failures_(failures_to_cap(options)) {}

void FailureThrottle::forget_old(Entry& entry, Clock::time_point now) const {
  const auto horizon = now - options_.window;
  auto& f = entry.failures;
  f.erase(f.begin(), std::find_if(f.begin(), f.end(), [&](const auto& x) { return x.at > horizon; }));
}

void FailureThrottle::erase(Map::iterator it) {
  recent_.erase(it->second.lru);
  entries_.erase(it);
}

std::chrono::milliseconds FailureThrottle::delay_for(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end()) return std::chrono::milliseconds{0};
  forget_old(it->second, now_());
  const std::size_t count = it->second.failures.size();
  if (count == 0) {
    erase(it);
    return std::chrono::milliseconds{0};
  }
  if (count < options_.free_failures) return std::chrono::milliseconds{0};
  auto delay = options_.first_delay;
  for (std::size_t i = options_.free_failures; i < count && delay < options_.max_delay; ++i) delay *= 2;
  return std::min(delay, options_.max_delay);
}

void FailureThrottle::record_failure(std::string_view address, std::string_view user) {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  auto [it, inserted] = entries_.try_emplace(std::string(address));
  if (inserted) {
    recent_.push_front(it->first);
    it->second.lru = recent_.begin();
  } else {
    recent_.splice(recent_.begin(), recent_, it->second.lru);
  }
  Entry& entry = it->second;
  forget_old(entry, now);
  entry.failures.push_back({now, std::hash<std::string_view>{}(user)});
  if (entry.failures.size() > kept_failures_) entry.failures.erase(entry.failures.begin());
  evict(now);
}

void FailureThrottle::record_success(std::string_view address, std::string_view user) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end()) return;
  const auto h = std::hash<std::string_view>{}(user);
  std::erase_if(it->second.failures, [&](const auto& x) { return x.user == h; });
  if (it->second.failures.empty()) erase(it);
}

// Addresses whose last failure left the window go first (the least recently
// failing ones sit at the back); beyond the cap a flood of distinct addresses
// pushes out the quietest ones, which is all a bounded table can do.
void FailureThrottle::evict(Clock::time_point now) {
  const auto horizon = now - options_.window;
  while (!recent_.empty()) {
    auto oldest = entries_.find(recent_.back());
    const auto& f = oldest->second.failures;
    const bool expired = f.empty() || f.back().at <= horizon;
    if (!expired && entries_.size() <= options_.max_addresses) break;
    erase(oldest);
  }
}

std::size_t FailureThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace gatehouse::accounts

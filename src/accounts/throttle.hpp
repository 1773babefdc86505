// Slows down password guessing: failed logins per key (a client address, or a
// user name) in a sliding window decide how long the server waits before it
// answers the next attempt. Each failure remembers the user name it was for,
// so a success clears only that user's failures: an attacker's own valid
// login does not wipe the record of guesses against someone else.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatehouse::accounts {

struct ThrottleOptions {
  unsigned free_failures = 3;                   // failures in the window answered without delay
  std::chrono::seconds window{300};             // failures older than this are forgotten
  std::chrono::milliseconds first_delay{1000};  // after free_failures, doubling per failure
  std::chrono::milliseconds max_delay{30000};
  std::size_t max_addresses = 10000;  // least recently failing addresses are dropped beyond it
};

// The key failures are counted under for a client address: an IPv4 address
// as it is (also when written IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address
// as its /64 ("2001:db8:1:2::/64"), since one client usually holds a whole
// /64 and could otherwise change address with every guess. Text that is not
// an address is returned unchanged.
std::string throttle_key(std::string_view address);

// Thread-safe; one per server (or per site). The caller waits delay_for(ip)
// with a timer (never by blocking an I/O thread) BEFORE checking the
// credentials, so an attacker learns nothing sooner by sending a wrong
// password; then it reports the outcome with record_failure/record_success.
// Memory is bounded by max_addresses entries of at most a few timestamps.
class FailureThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  explicit FailureThrottle(ThrottleOptions options = {}, Now now = &Clock::now);

  // `address` is a throttle_key() (or any stable client key).
  // 0 for an address with fewer than free_failures recent failures, then
  // first_delay, doubling with each further failure, up to max_delay.
  std::chrono::milliseconds delay_for(std::string_view address);

  // `user`: the user name tried ("" when the key is the user name itself).
  void record_failure(std::string_view address, std::string_view user = {});
  // A successful login of `user` clears that user's failures under the key.
  void record_success(std::string_view address, std::string_view user = {});

  // Number of addresses currently remembered (for tests and metrics).
  std::size_t tracked() const;

 private:
  struct Entry {
    std::list<std::string>::iterator lru;  // position in recent_
    struct Failure {
      Clock::time_point at;
      std::size_t user;  // hash of the user name tried
    };
    std::vector<Failure> failures;  // oldest first, at most kept_failures_
  };
  using Map = std::unordered_map<std::string, Entry>;

  void forget_old(Entry& entry, Clock::time_point now) const;
  void evict(Clock::time_point now);
  void erase(Map::iterator it);

  ThrottleOptions options_;
  Now now_;
  std::size_t kept_failures_;  // enough to reach max_delay; older ones change nothing
  mutable std::mutex mutex_;
  Map entries_;
  std::list<std::string> recent_;  // most recently failing address first
};

}  // namespace gatehouse::accounts

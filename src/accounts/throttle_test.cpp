// The failure throttle against a hand-driven clock.
#include "accounts/throttle.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gatehouse::accounts {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeClock {
 public:
  FailureThrottle::Clock::time_point now() const { return now_; }
  void advance(FailureThrottle::Clock::duration d) { now_ += d; }
  FailureThrottle::Now fn() {
    return [this] { return now_; };
  }

 private:
  FailureThrottle::Clock::time_point now_{seconds{1'000'000}};
};

std::vector<long> delays_after_each_failure(FailureThrottle& t, const std::string& ip, int failures) {
  std::vector<long> out;
  for (int i = 0; i < failures; ++i) {
    t.record_failure(ip);
    out.push_back(static_cast<long>(t.delay_for(ip).count()));
  }
  return out;
}

TEST(FailureThrottle, FirstThreeFreeThenDoublingToCap) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{0});
  EXPECT_EQ(delays_after_each_failure(t, "192.0.2.1", 10),
            (std::vector<long>{0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
}

TEST(FailureThrottle, AddressesAreIndependent) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  delays_after_each_failure(t, "192.0.2.1", 5);
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{4000});
  EXPECT_EQ(t.delay_for("192.0.2.2"), milliseconds{0});
  EXPECT_EQ(t.delay_for("2001:db8::1"), milliseconds{0});
}

TEST(FailureThrottle, SuccessResets) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  delays_after_each_failure(t, "192.0.2.1", 6);
  t.record_success("192.0.2.1");
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{0});
  EXPECT_EQ(t.tracked(), 0u);
  EXPECT_EQ(delays_after_each_failure(t, "192.0.2.1", 3), (std::vector<long>{0, 0, 1000}));
}

TEST(FailureThrottle, SuccessClearsOnlyThatUsersFailures) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  for (int i = 0; i < 5; ++i) t.record_failure("192.0.2.1", "victim");
  t.record_failure("192.0.2.1", "mallory");
  const auto before = t.delay_for("192.0.2.1");
  EXPECT_GE(before, milliseconds{4000});
  t.record_success("192.0.2.1", "mallory");                 // the attacker's own account logs in
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{4000});  // the five guesses against victim stay
  t.record_success("192.0.2.1", "victim");
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{0});
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(FailureThrottle, FailuresLeaveTheSlidingWindow) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  t.record_failure("192.0.2.1");  // at 0
  clock.advance(seconds{200});
  t.record_failure("192.0.2.1");  // at 200
  t.record_failure("192.0.2.1");  // at 200
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{1000});
  clock.advance(seconds{101});  // the first one is now older than 5 minutes
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{0});
  clock.advance(seconds{200});  // all gone: the entry itself is dropped
  EXPECT_EQ(t.delay_for("192.0.2.1"), milliseconds{0});
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(FailureThrottle, MemoryIsBoundedByDroppingTheQuietestAddress) {
  FakeClock clock;
  FailureThrottle t({.max_addresses = 3}, clock.fn());
  delays_after_each_failure(t, "10.0.0.1", 4);
  t.record_failure("10.0.0.2");
  t.record_failure("10.0.0.3");
  t.record_failure("10.0.0.1");  // 10.0.0.1 is now the most recent again
  t.record_failure("10.0.0.4");  // pushes out 10.0.0.2, the quietest
  EXPECT_EQ(t.tracked(), 3u);
  EXPECT_EQ(t.delay_for("10.0.0.1"), milliseconds{4000});
  t.record_failure("10.0.0.2");  // back, counting from one: 10.0.0.3 goes
  EXPECT_EQ(t.tracked(), 3u);
  EXPECT_EQ(t.delay_for("10.0.0.1"), milliseconds{4000});
  for (int i = 0; i < 10'000; ++i) t.record_failure("198.51.100." + std::to_string(i));
  EXPECT_EQ(t.tracked(), 3u);
}

TEST(FailureThrottle, ExpiredAddressesAreDroppedWithoutHittingTheCap) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  for (int i = 0; i < 100; ++i) t.record_failure("203.0.113." + std::to_string(i));
  EXPECT_EQ(t.tracked(), 100u);
  clock.advance(seconds{301});
  t.record_failure("192.0.2.1");
  EXPECT_EQ(t.tracked(), 1u);
}

TEST(FailureThrottle, CustomPolicy) {
  FakeClock clock;
  FailureThrottle t({.free_failures = 1, .first_delay = milliseconds{250}, .max_delay = milliseconds{600}}, clock.fn());
  EXPECT_EQ(t.delay_for("x"), milliseconds{0});  // no failure yet
  EXPECT_EQ(delays_after_each_failure(t, "x", 3), (std::vector<long>{250, 500, 600}));
}

TEST(FailureThrottle, ConcurrentUseCountsEveryFailure) {
  FailureThrottle t({.free_failures = 100, .window = seconds{3600}});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 25; ++j) {
        t.record_failure("192.0.2.9");
        (void)t.delay_for("192.0.2.9");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.delay_for("192.0.2.9"), milliseconds{1000});  // exactly 100 failures
}

TEST(ThrottleKey, GroupsIpv6ByPrefixAndUnmapsIpv4) {
  EXPECT_EQ(throttle_key("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(throttle_key("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(throttle_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key("2001:DB8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key("::1"), "::/64");
  EXPECT_EQ(throttle_key("not an address"), "not an address");
}

TEST(ThrottleKey, OneIpv6ClientCannotDodgeByChangingAddress) {
  FakeClock clock;
  FailureThrottle t({}, clock.fn());
  for (int i = 1; i <= 4; ++i) t.record_failure(throttle_key("2001:db8:5:6::" + std::to_string(i)));
  EXPECT_EQ(t.delay_for(throttle_key("2001:db8:5:6::99")), milliseconds{2000});
  EXPECT_EQ(t.delay_for(throttle_key("2001:db8:5:7::1")), milliseconds{0});
}

}  // namespace
}  // namespace gatehouse::accounts

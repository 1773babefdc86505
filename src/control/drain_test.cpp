// The drain's phases on a made-up clock and traffic: quiet, deadline, in-flight
// requests, the grace period, a second begin, cancel, and the verb's argument.
#include "control/drain.hpp"

#include <gtest/gtest.h>

namespace gatehouse::control {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  TrafficCount traffic;
  Instant t0 = std::chrono::steady_clock::now();
  Drain drain{[this] { return traffic; }, 10s};
  Instant at(Millis m) const { return t0 + m; }
};

TEST(Drain, ReadinessTurnsOffAtOnceAndOnlyThen) {
  Fixture f;
  EXPECT_FALSE(f.drain.draining());
  EXPECT_FALSE(f.drain.observe(f.t0).has_value());
  f.drain.begin({5s, 60s}, f.t0);
  EXPECT_TRUE(f.drain.draining());
}

TEST(Drain, QuietAfterTheLastNewRequestThenDrained) {
  Fixture f;
  f.traffic = {100, 0};
  auto p = f.drain.begin({5s, 60s}, f.at(0ms));
  EXPECT_EQ(p.phase, DrainPhase::Quieting);
  f.traffic = {130, 2};  // the balancer still sends for a while
  EXPECT_EQ(f.drain.observe(f.at(3s))->phase, DrainPhase::Quieting);
  f.traffic = {130, 0};
  EXPECT_EQ(f.drain.observe(f.at(7900ms))->phase, DrainPhase::Quieting);  // 4.9 s since 130 was seen
  p = *f.drain.observe(f.at(8s));
  EXPECT_EQ(p.phase, DrainPhase::Drained);
  EXPECT_TRUE(p.ended_now);
  EXPECT_FALSE(f.drain.observe(f.at(8s))->ended_now);  // logged once
  EXPECT_EQ(p.seen, 30u);
  EXPECT_EQ(p.in_flight, 0u);
  EXPECT_EQ(p.elapsed, 8s);
  EXPECT_FALSE(p.deadline_passed);
  // The result stays; later traffic (the balancer's business) does not change it.
  f.traffic = {140, 1};
  p = *f.drain.observe(f.at(20s));
  EXPECT_EQ(p.phase, DrainPhase::Drained);
  EXPECT_EQ(p.seen, 30u);
  EXPECT_EQ(p.elapsed, 8s);
  EXPECT_TRUE(f.drain.draining());
}

TEST(Drain, InFlightRequestsAreWaitedForUpToTheGrace) {
  Fixture f;
  f.traffic = {0, 0};
  f.drain.begin({1s, 60s}, f.at(0ms));
  f.traffic = {3, 3};
  f.drain.observe(f.at(500ms));
  EXPECT_EQ(f.drain.observe(f.at(1600ms))->phase, DrainPhase::Finishing);
  f.traffic = {3, 1};
  EXPECT_EQ(f.drain.observe(f.at(5s))->phase, DrainPhase::Finishing);
  auto p = *f.drain.observe(f.at(11600ms));  // 10 s of grace since 1.6 s
  EXPECT_EQ(p.phase, DrainPhase::Drained);
  EXPECT_EQ(p.in_flight, 1u);
}

TEST(Drain, TheDeadlineEndsTheWaitForQuiet) {
  Fixture f;
  f.drain.begin({5s, 10s}, f.at(0ms));
  for (int i = 1; i <= 9; ++i) {  // a new request every second: never quiet
    f.traffic.arrived = static_cast<std::uint64_t>(i);
    EXPECT_EQ(f.drain.observe(f.at(std::chrono::seconds(i)))->phase, DrainPhase::Quieting);
  }
  f.traffic.arrived = 10;
  auto p = *f.drain.observe(f.at(10s));
  EXPECT_EQ(p.phase, DrainPhase::Drained);
  EXPECT_TRUE(p.deadline_passed);
  EXPECT_EQ(p.seen, 10u);
}

TEST(Drain, ASecondBeginFollowsTheFirst) {
  Fixture f;
  f.drain.begin({5s, 60s}, f.at(0ms));
  auto p = f.drain.begin({1s, 2s}, f.at(3s));
  EXPECT_TRUE(p.again);
  EXPECT_EQ(p.options.quiet, 5s);
  EXPECT_EQ(p.elapsed, 3s);
}

TEST(Drain, CancelTurnsReadinessBackOn) {
  Fixture f;
  EXPECT_FALSE(f.drain.cancel());
  f.drain.begin({5s, 60s}, f.at(0ms));
  EXPECT_TRUE(f.drain.cancel());
  EXPECT_FALSE(f.drain.draining());
  EXPECT_FALSE(f.drain.observe(f.at(1s)).has_value());
  f.traffic = {7, 0};  // a new drain starts afresh
  auto p = f.drain.begin({0s, 60s}, f.at(2s));
  EXPECT_FALSE(p.again);
  EXPECT_EQ(f.drain.observe(f.at(2s))->phase, DrainPhase::Drained);
  EXPECT_EQ(f.drain.observe(f.at(2s))->seen, 0u);
}

TEST(Drain, TheVerbsArgumentIsStrict) {
  auto ok = parse_drain_options("5000 60000");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->quiet, 5s);
  EXPECT_EQ(ok->deadline, 60s);
  for (const char* bad : {"", "5000", "5000 ", " 5000 60000", "5000 60000 1", "-1 60000", "5000 0", "5000 x",
                          "3600001 60000", "5000 86400001", "99999999999999999999999 1", "5e3 60000"})
    EXPECT_FALSE(parse_drain_options(bad)) << bad;
}

TEST(Drain, TheJsonSaysWhereItIs) {
  DrainProgress p;
  p.phase = DrainPhase::Finishing;
  p.seen = 4;
  auto j = drain_json(p);
  EXPECT_EQ(j["phase"], "finishing");
  EXPECT_EQ(j["seen"], 4);
  EXPECT_EQ(j["ok"], true);
}

}  // namespace
}  // namespace gatehouse::control

// AuthPool: the queue is bounded (a flood of AUTH from a compromised front is
// refused, not stored), and a finished check wakes the supervisor's poll.
#include "supervisor/auth_pool.hpp"

#include <gtest/gtest.h>
#include <poll.h>

namespace gatehouse::supervisor {
namespace {

TEST(AuthPoolTest, TheQueueIsBounded) {
  AuthPool pool(0);  // no thread takes anything: the queue only fills
  for (std::size_t i = 0; i < AuthPool::kMaxQueued; ++i) EXPECT_TRUE(pool.submit({1, i, "u", "p", "r"})) << i;
  EXPECT_FALSE(pool.submit({1, 999, "u", "p", "r"}));
  EXPECT_TRUE(pool.take().empty());
}

TEST(AuthPoolTest, AFinishedCheckMakesItsFdReadableAndCarriesItsIds) {
  AuthPool pool(1);
  ASSERT_TRUE(pool.submit({7, 42, "gh-no-such-user-x", "wrong", "127.0.0.1"}));
  pollfd p{pool.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 30000), 1);
  auto done = pool.take();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].front, 7u);
  EXPECT_EQ(done[0].id, 42u);
  EXPECT_FALSE(done[0].outcome && done[0].outcome->granted);  // no such account: never granted
  pollfd again{pool.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&again, 1, 0), 0);  // taken: not readable any more
}

}  // namespace
}  // namespace gatehouse::supervisor

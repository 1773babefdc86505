// UniqueFd: each descriptor is closed exactly once, by whoever owns it last.
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace gatehouse {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// A fresh descriptor (the read end of a pipe; the write end is closed here).
int open_fd() {
  std::array<int, 2> fds{};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  ::close(fds[1]);
  return fds[0];
}

TEST(UniqueFd, EmptyByDefault) {
  UniqueFd fd;
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
  EXPECT_EQ(fd.close(), 0);  // closing nothing is not an error
}

TEST(UniqueFd, ClosesOnScopeExit) {
  const int raw = open_fd();
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(fd);
    EXPECT_EQ(fd.get(), raw);
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnershipAndClosesOnce) {
  const int raw = open_fd();
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_EQ(b.get(), raw);
  a.reset();  // the moved-from object must not close b's descriptor
  EXPECT_TRUE(is_open(raw));

  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(is_open(raw));
  c.reset();
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesThePreviousDescriptor) {
  const int first = open_fd();
  const int second = open_fd();
  UniqueFd a(first);
  a = UniqueFd(second);
  EXPECT_FALSE(is_open(first));
  EXPECT_TRUE(is_open(second));
  EXPECT_EQ(a.get(), second);
}

TEST(UniqueFd, SelfMoveKeepsTheDescriptor) {
  const int raw = open_fd();
  UniqueFd a(raw);
  UniqueFd& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  const int raw = open_fd();
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_FALSE(fd);
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesAndTakesTheNewOne) {
  const int first = open_fd();
  const int second = open_fd();
  UniqueFd fd(first);
  fd.reset(second);
  EXPECT_FALSE(is_open(first));
  EXPECT_EQ(fd.get(), second);
  fd.reset();
  EXPECT_FALSE(is_open(second));
  EXPECT_FALSE(fd);
}

TEST(UniqueFd, CloseReportsTheResultAndEmpties) {
  const int raw = open_fd();
  UniqueFd fd(raw);
  EXPECT_EQ(fd.close(), 0);
  EXPECT_FALSE(fd);
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(fd.close(), 0);  // a second close does nothing (no double close)

  UniqueFd bad(1 << 20);  // never a valid descriptor here
  EXPECT_EQ(bad.close(), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace gatehouse

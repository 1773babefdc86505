// sc-win32-status carries Windows codes, as IIS logs them.
#include "http/win32_status.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace gatehouse::http {
namespace {

TEST(Win32Status, IisCodes) {
  EXPECT_EQ(win32_from_errno(0), 0);
  EXPECT_EQ(win32_from_errno(EACCES), 5);
  EXPECT_EQ(win32_from_errno(ENOENT), 2);
  EXPECT_EQ(win32_from_errno(ECONNRESET), 64);
  EXPECT_EQ(win32_from_errno(EPIPE), 64);
  EXPECT_EQ(win32_from_errno(ECONNABORTED), 1236);
  EXPECT_EQ(win32_from_errno(ETIMEDOUT), 121);
  EXPECT_EQ(win32_from_errno(EHOSTUNREACH), 31);  // no counterpart
}

}  // namespace
}  // namespace gatehouse::http

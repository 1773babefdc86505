// A forged log line is impossible: control characters come out escaped.
#include "common/log_escape.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace gatehouse::log {
namespace {

TEST(LogEscape, ControlCharactersAreEscapedTextIsKept) {
  EXPECT_EQ(escaped("alice\n2026-01-01 error forged\r\x01\x7f\ttab"),
            "alice\\n2026-01-01 error forged\\r\\x01\\x7f\\ttab");
  EXPECT_EQ(escaped("caf\xc3\xa9 [pool a] 100%"), "caf\xc3\xa9 [pool a] 100%");
}

TEST(LogEscape, EveryMessageOfTheLoggerIsOneLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("t", sink);
  logger.set_formatter(line_formatter());
  logger.warn("Basic authentication failed for user {} from {}", "eve\n2026 info forged", "10.0.0.1");
  auto text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find(" warning Basic authentication failed for user eve\\n2026 info forged from 10.0.0.1"),
            std::string::npos);
}

}  // namespace
}  // namespace gatehouse::log

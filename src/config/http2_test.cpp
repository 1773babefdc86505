// [server.http2]: the HTTP/2 limits, their defaults, their bounds and the
// summary line `check` prints.
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

TEST(Http2, DefaultsAreNginxLike) {
  const Config c = load_string("", "t.toml", {.check_paths = false});
  EXPECT_TRUE(c.server.tls.http2);
  EXPECT_EQ(c.server.http2.max_concurrent_streams, 128u);
  EXPECT_EQ(c.server.http2.header_table_size, 4096u);
  EXPECT_EQ(c.server.http2.initial_window_size, 65535u);
  EXPECT_EQ(c.server.http2.max_resets_per_second, 100u);
  EXPECT_EQ(c.server.http2.max_continuations, 8u);
}

TEST(Http2, KeysAreReadAndBounded) {
  const Config c = load_string("[server.http2]\nmax_concurrent_streams = 16\nmax_resets_per_second = 20\n", "t.toml",
                               {.check_paths = false});
  EXPECT_EQ(c.server.http2.max_concurrent_streams, 16u);
  EXPECT_EQ(c.server.http2.max_resets_per_second, 20u);
  const Lines problems = problems_of(
      "[server.http2]\nmax_concurrent_streams = 0\nheader_table_size = 1000000\nmax_resets_per_second = \"x\"\n"
      "streams = 3\n");
  EXPECT_EQ(problems,
            (Lines{"t.toml:2:26: key 'server.http2.max_concurrent_streams': expected an integer of at least 1, got 0",
                   "t.toml:3:21: key 'server.http2.header_table_size': expected an integer from 0 to 65536, got "
                   "1000000",
                   "t.toml:4:25: key 'server.http2.max_resets_per_second': expected an integer of at least 1, got "
                   "string \"x\"",
                   "t.toml:5:1: key 'server.http2.streams': unknown key 'streams' in [server.http2]; expected one of "
                   "max_concurrent_streams, header_table_size, initial_window_size, max_resets_per_second, "
                   "max_continuations"}));
}

TEST(Http2, SummaryShowsTheLimitsWhereHttpsIsServed) {
  const Config c = load_string(
      "[[pools]]\nname = \"p\"\n[[sites]]\nname = \"s\"\nbindings = [\"https://*:443:a.example\"]\n"
      "physical_path = \"/srv/s\"\npool = \"p\"\n[sites.tls]\ncertificate = \"/c.pem\"\nkey = \"/k.pem\"\n",
      "t.toml", {.check_paths = false});
  EXPECT_NE(summary(c).find("http2: on, max_concurrent_streams 128, header_table_size 4096, initial_window_size "
                            "65535, max_resets_per_second 100, max_continuations 8\n"),
            std::string::npos)
      << summary(c);
}

}  // namespace
}  // namespace gatehouse::config

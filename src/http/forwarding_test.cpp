// Trust decisions behind a balancer: which peers are believed, and which
// X-Forwarded-For entry names the client when a client forges entries.
#include "http/forwarding.hpp"

#include <gtest/gtest.h>

#include "config/networks.hpp"

namespace gatehouse::http {
namespace {

config::Server server_trusting(std::initializer_list<const char*> ranges) {
  config::Server server;
  for (const char* r : ranges) server.trusted_proxies.push_back(*config::parse_ip_range(r));
  return server;
}

TEST(Forwarding, TrustedPeers) {
  const config::Server server = server_trusting({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  const Forwarding f({}, server);
  EXPECT_TRUE(f.trusted("127.0.0.1"));
  EXPECT_FALSE(f.trusted("127.0.0.2"));
  EXPECT_TRUE(f.trusted("10.9.8.7"));
  EXPECT_TRUE(f.trusted("::ffff:10.1.1.1"));  // a v4-mapped peer on a dual-stack socket
  EXPECT_TRUE(f.trusted("fd00::5"));
  EXPECT_FALSE(f.trusted("fe80::1"));
  EXPECT_FALSE(f.trusted("not an address"));
  const config::Server none;
  EXPECT_FALSE(Forwarding({}, none).trusted("127.0.0.1")) << "nobody is trusted by default";
}

TEST(Forwarding, ClientIsTheRightmostUntrustedEntry) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const Forwarding f({}, server);
  EXPECT_EQ(f.client_of({"203.0.113.7"}), "203.0.113.7");
  // The client wrote "1.1.1.1" itself; the balancer appended the address it saw.
  EXPECT_EQ(f.client_of({"1.1.1.1, 203.0.113.7"}), "203.0.113.7");
  // Two balancers in a row: both trusted, skipped.
  EXPECT_EQ(f.client_of({"203.0.113.7, 10.0.0.2"}), "203.0.113.7");
  // Several fields are one list, in order.
  EXPECT_EQ(f.client_of({"1.1.1.1", "203.0.113.7, 10.0.0.3"}), "203.0.113.7");
  EXPECT_EQ(f.client_of({" 2001:db8::7 "}), "2001:db8::7");
  // Garbage stops the walk: nothing to its left is believed.
  EXPECT_EQ(f.client_of({"1.1.1.1, unknown"}), std::nullopt);
  EXPECT_EQ(f.client_of({"1.1.1.1, evil, 10.0.0.2"}), "10.0.0.2");
  EXPECT_EQ(f.client_of({"10.0.0.1, 10.0.0.2"}), "10.0.0.1");  // only balancers: the first
  EXPECT_EQ(f.client_of({""}), std::nullopt);
  EXPECT_EQ(f.client_of({"203.0.113.7:4711"}), std::nullopt);  // not an address form we act on
}

TEST(Forwarding, RefusalLinesAreRateLimited) {
  const config::Server server;
  Forwarding f({}, server);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.may_log(t0), 0);
  EXPECT_EQ(f.may_log(t0 + std::chrono::milliseconds(10)), -1);
  EXPECT_EQ(f.may_log(t0 + std::chrono::milliseconds(20)), -1);
  EXPECT_EQ(f.may_log(t0 + std::chrono::seconds(2)), 2);
}

}  // namespace
}  // namespace gatehouse::http

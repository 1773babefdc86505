// The PROXY v2 parser against hand-built headers: addresses, LOCAL, partial
// input, and every malformed form a hostile peer could send.
#include "http/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

std::string header(unsigned char ver_cmd, unsigned char fam, const std::string& payload) {
  std::string h{kProxyV2Signature};
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(payload.size() >> 8);
  h += static_cast<char>(payload.size() & 0xFF);
  return h + payload;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// 203.0.113.7:51000 -> 192.0.2.1:8080
const std::string kInet = bytes({203, 0, 113, 7, 192, 0, 2, 1, 0xC7, 0x38, 0x1F, 0x90});

TEST(ProxyProtocol, Ipv4ClientAndDestination) {
  const std::string h = header(0x21, 0x11, kInet);
  auto p = parse_proxy_v2(h + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(p.status, ProxyParse::Done);
  EXPECT_EQ(p.length, 28u);
  EXPECT_TRUE(p.has_source);
  EXPECT_EQ(p.source_ip, "203.0.113.7");
  EXPECT_EQ(p.source_port, 51000);
  EXPECT_EQ(p.destination_ip, "192.0.2.1");
  EXPECT_EQ(p.destination_port, 8080);
}

TEST(ProxyProtocol, Ipv6Client) {
  std::string payload(36, '\0');
  payload[0] = 0x20, payload[1] = 0x01, payload[2] = 0x0d, payload[3] = static_cast<char>(0xb8), payload[15] = 1;
  payload[31] = 2;
  payload[32] = 0x01, payload[33] = 0x02, payload[35] = 80;
  auto p = parse_proxy_v2(header(0x21, 0x21, payload));
  ASSERT_EQ(p.status, ProxyParse::Done);
  EXPECT_EQ(p.source_ip, "2001:db8::1");
  EXPECT_EQ(p.source_port, 258);
  EXPECT_EQ(p.destination_ip, "::2");
  EXPECT_EQ(p.destination_port, 80);
}

TEST(ProxyProtocol, TlvsAreSkipped) {
  const std::string tlv = bytes({0x01, 0x00, 0x02, 'h', '2', 0x04, 0x00, 0x00});  // ALPN "h2", NOOP
  auto p = parse_proxy_v2(header(0x21, 0x11, kInet + tlv));
  ASSERT_EQ(p.status, ProxyParse::Done);
  EXPECT_EQ(p.length, 16 + kInet.size() + tlv.size());
  EXPECT_EQ(p.source_ip, "203.0.113.7");
}

TEST(ProxyProtocol, LocalKeepsTheConnectionAddress) {
  auto p = parse_proxy_v2(header(0x20, 0x00, ""));  // HAProxy's health checks
  ASSERT_EQ(p.status, ProxyParse::Done);
  EXPECT_EQ(p.length, 16u);
  EXPECT_FALSE(p.has_source);
  auto local_with_addresses = parse_proxy_v2(header(0x20, 0x11, kInet));
  ASSERT_EQ(local_with_addresses.status, ProxyParse::Done);
  EXPECT_FALSE(local_with_addresses.has_source);
}

TEST(ProxyProtocol, UnspecUnixAndDatagramKeepTheConnectionAddress) {
  EXPECT_FALSE(parse_proxy_v2(header(0x21, 0x00, "")).has_source);
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x31, std::string(216, 'x'))).status, ProxyParse::Done);
  EXPECT_FALSE(parse_proxy_v2(header(0x21, 0x31, std::string(216, 'x'))).has_source);
  EXPECT_FALSE(parse_proxy_v2(header(0x21, 0x12, kInet)).has_source);
}

TEST(ProxyProtocol, EveryPrefixNeedsMore) {
  const std::string h = header(0x21, 0x11, kInet);
  for (std::size_t n = 0; n < h.size(); ++n)
    EXPECT_EQ(parse_proxy_v2(h.substr(0, n)).status, ProxyParse::NeedMore) << n;
}

TEST(ProxyProtocol, PlainHttpIsRefusedAtOnce) {
  auto p = parse_proxy_v2("GET / HTTP/1.1\r\n");
  EXPECT_EQ(p.status, ProxyParse::Invalid);
  EXPECT_EQ(parse_proxy_v2("G").status, ProxyParse::Invalid);  // no waiting for a header that cannot come
}

TEST(ProxyProtocol, VersionOneIsNamed) {
  auto p = parse_proxy_v2("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
  EXPECT_EQ(p.status, ProxyParse::Invalid);
  EXPECT_NE(std::string{p.error}.find("v1"), std::string::npos);
}

TEST(ProxyProtocol, MalformedHeadersAreRefused) {
  EXPECT_EQ(parse_proxy_v2(header(0x11, 0x11, kInet)).status, ProxyParse::Invalid);  // version 1 in binary
  EXPECT_EQ(parse_proxy_v2(header(0x22, 0x11, kInet)).status, ProxyParse::Invalid);  // command 2
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x41, kInet)).status, ProxyParse::Invalid);  // family 4
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x13, kInet)).status, ProxyParse::Invalid);  // transport 3
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x11, kInet.substr(0, 11))).status, ProxyParse::Invalid);  // short
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x21, kInet)).status, ProxyParse::Invalid);                // IPv6 needs 36
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x11, kInet + bytes({0x01, 0x00}))).status, ProxyParse::Invalid);
  EXPECT_EQ(parse_proxy_v2(header(0x21, 0x11, kInet + bytes({0x01, 0x00, 0x05, 'a'}))).status, ProxyParse::Invalid);
}

TEST(ProxyProtocol, AnOversizedLengthIsRefusedBeforeItArrives) {
  std::string h = header(0x21, 0x11, kInet);
  h[14] = static_cast<char>(0xFF);
  h[15] = static_cast<char>(0xFF);
  auto p = parse_proxy_v2(h.substr(0, 16));
  EXPECT_EQ(p.status, ProxyParse::Invalid);
}

}  // namespace
}  // namespace gatehouse::http

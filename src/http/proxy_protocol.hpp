// The PROXY protocol version 2 header (HAProxy's send-proxy-v2) that a load
// balancer puts before the client's bytes: a pure parser, no sockets, no Boost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

// The 12 bytes every v2 header starts with.
inline constexpr std::string_view kProxyV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
// Header bytes beyond the fixed 16 that we accept (addresses and TLVs). The
// specification allows 65535; HAProxy sends far less, and a connection that
// claims more is refused rather than buffered.
inline constexpr std::size_t kProxyV2MaxPayload = 4096;

enum class ProxyParse {
  NeedMore,  // the bytes so far are a valid beginning: read more
  Done,      // a complete header of `length` bytes
  Invalid,   // not a PROXY v2 header, or a malformed one: close the connection
};

struct ProxyHeader {
  ProxyParse status = ProxyParse::NeedMore;
  std::size_t length = 0;  // bytes to consume (Done)
  // True when the header names the client: PROXY command over TCP/IPv4 or
  // IPv6. False for LOCAL (the balancer's own health check) and for families
  // we do not map (UNSPEC, UNIX, UDP): the connection's own address stays.
  bool has_source = false;
  std::string source_ip;  // "203.0.113.7", "2001:db8::1"
  std::uint16_t source_port = 0;
  std::string destination_ip;
  std::uint16_t destination_port = 0;
  std::string_view error;  // Invalid: why, for the log (static text)
};

// Parses the start of a connection's bytes. Never reads past `bytes`; a
// header is complete only once its whole declared length has arrived.
ProxyHeader parse_proxy_v2(std::string_view bytes);

}  // namespace gatehouse::http

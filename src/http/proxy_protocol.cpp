// PROXY protocol v2 parsing, after haproxy's doc/proxy-protocol.txt (section
// 2.2): signature, version/command, family/transport, length, addresses, TLVs.
#include "http/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace gatehouse::http {
namespace {

constexpr std::size_t kFixed = 16;  // signature, ver_cmd, fam, len
constexpr unsigned kVersion2 = 0x2;
constexpr unsigned kCommandLocal = 0x0;
constexpr unsigned kCommandProxy = 0x1;
constexpr unsigned kFamilyInet = 0x1;
constexpr unsigned kFamilyInet6 = 0x2;
constexpr unsigned kFamilyUnix = 0x3;
constexpr unsigned kTransportStream = 0x1;
constexpr unsigned kTransportDgram = 0x2;
constexpr std::size_t kInetAddresses = 12;   // 2 x 4 bytes, 2 x 2 bytes
constexpr std::size_t kInet6Addresses = 36;  // 2 x 16 bytes, 2 x 2 bytes
constexpr std::size_t kUnixAddresses = 216;  // 2 x 108 bytes

ProxyHeader invalid(std::string_view why) {
  ProxyHeader h;
  h.status = ProxyParse::Invalid;
  h.error = why;
  return h;
}

std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

std::string ip_text(int family, const unsigned char* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, text, sizeof text);
  return text;
}

// The TLV area must be a sequence of whole (type, length, value) records.
bool tlvs_well_formed(const unsigned char* p, std::size_t size) {
  while (size > 0) {
    if (size < 3) return false;
    const std::size_t value = be16(p + 1);
    if (size - 3 < value) return false;
    p += 3 + value;
    size -= 3 + value;
  }
  return true;
}

}  // namespace

ProxyHeader parse_proxy_v2(std::string_view bytes) {
  const std::size_t have = bytes.size() < kProxyV2Signature.size() ? bytes.size() : kProxyV2Signature.size();
  if (bytes.substr(0, have) != kProxyV2Signature.substr(0, have)) {
    if (bytes.starts_with("PROXY ")) return invalid("a PROXY protocol v1 (text) header; only v2 is accepted");
    return invalid("no PROXY protocol v2 signature");
  }
  if (bytes.size() < kFixed) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned version = p[12] >> 4;
  const unsigned command = p[12] & 0xF;
  const unsigned family = p[13] >> 4;
  const unsigned transport = p[13] & 0xF;
  const std::size_t payload = be16(p + 14);
  if (version != kVersion2) return invalid("PROXY protocol version is not 2");
  if (command != kCommandLocal && command != kCommandProxy) return invalid("unknown PROXY protocol command");
  if (family > kFamilyUnix) return invalid("unknown PROXY protocol address family");
  if (transport > kTransportDgram) return invalid("unknown PROXY protocol transport");
  if (payload > kProxyV2MaxPayload) return invalid("PROXY protocol header longer than 4096 bytes");
  const std::size_t needed = family == kFamilyInet    ? kInetAddresses
                             : family == kFamilyInet6 ? kInet6Addresses
                             : family == kFamilyUnix  ? kUnixAddresses
                                                      : 0;
  if (payload < needed) return invalid("PROXY protocol header too short for its address family");
  if (bytes.size() < kFixed + payload) return {};

  ProxyHeader h;
  h.status = ProxyParse::Done;
  h.length = kFixed + payload;
  if (!tlvs_well_formed(p + kFixed + needed, payload - needed)) return invalid("malformed PROXY protocol TLV");
  // LOCAL, UNSPEC, UNIX and datagrams: the receiver keeps the connection's
  // own addresses (the specification says so for LOCAL and UNSPEC).
  if (command != kCommandProxy || transport != kTransportStream) return h;
  const unsigned char* a = p + kFixed;
  if (family == kFamilyInet) {
    h.has_source = true;
    h.source_ip = ip_text(AF_INET, a);
    h.destination_ip = ip_text(AF_INET, a + 4);
    h.source_port = be16(a + 8);
    h.destination_port = be16(a + 10);
  } else if (family == kFamilyInet6) {
    h.has_source = true;
    h.source_ip = ip_text(AF_INET6, a);
    h.destination_ip = ip_text(AF_INET6, a + 16);
    h.source_port = be16(a + 32);
    h.destination_port = be16(a + 34);
  }
  return h;
}

}  // namespace gatehouse::http

// libFuzzer target over the PROXY v2 parser (ctest proxy_protocol.fuzz): any
// bytes, and every prefix of them, must give a verdict that stays inside the
// input and agrees with the verdict on the whole input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/proxy_protocol.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatehouse::http;
  const std::string_view all{reinterpret_cast<const char*>(data), size};
  const ProxyHeader whole = parse_proxy_v2(all);
  if (whole.status == ProxyParse::Done) {
    check(whole.length >= 16 && whole.length <= size && whole.length <= 16 + kProxyV2MaxPayload);
    check(!whole.has_source || !whole.source_ip.empty());
  }
  // Resumption: a prefix never says Done or Invalid where the whole says otherwise.
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const ProxyHeader part = parse_proxy_v2(all.substr(0, cut));
  if (part.status == ProxyParse::Invalid) check(whole.status == ProxyParse::Invalid);
  if (part.status == ProxyParse::Done) check(whole.status == ProxyParse::Done && whole.length == part.length);
  return 0;
}

// trusted_proxies ranges and phpredis save paths; see networks.hpp.
#include "config/networks.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace gatehouse::config {
namespace {

template <class N>
bool to_number(std::string_view text, N& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// Parses "k=v&k=v" (phpredis' query string) into the store.
std::optional<std::string> read_query(std::string_view query, RedisSessionStore& store) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view k = item.substr(0, eq);
    const std::string_view v = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (k == "database" || k == "db") {
      if (!to_number(v, store.database)) return "expected database=N (a number), got " + in_quotes(item);
    } else if (k == "prefix") {
      store.prefix = std::string{v};
      store.prefix_set = true;
    }  // auth, timeout, persistent, weight...: not ours to check
  }
  return std::nullopt;
}

}  // namespace

bool IpRange::contains(int address_family, const std::uint8_t* address) const {
  if (address_family != family) return false;
  unsigned bits = prefix;
  for (std::size_t i = 0; bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xFF00u >> take);
    if ((address[i] & mask) != (bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string RedisSessionStore::server() const {
  if (scheme == "unix") return "unix://" + socket.string();
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Parsed<IpRange> parse_ip_range(std::string_view text) {
  const auto fail = [&] {
    return std::unexpected("expected an IP address or network like \"10.0.0.0/8\" or \"::1\", got " + in_quotes(text));
  };
  IpRange range;
  range.text = std::string{text};
  const std::size_t slash = text.find('/');
  const std::string ip{text.substr(0, slash)};
  if (::inet_pton(AF_INET, ip.c_str(), range.bytes.data()) == 1) {
    range.family = AF_INET;
    range.prefix = 32;
  } else if (::inet_pton(AF_INET6, ip.c_str(), range.bytes.data()) == 1) {
    range.family = AF_INET6;
    range.prefix = 128;
  } else {
    return fail();
  }
  if (slash != std::string_view::npos) {
    unsigned prefix = 0;
    if (!to_number(text.substr(slash + 1), prefix) || prefix > range.prefix) return fail();
    range.prefix = prefix;
  }
  // Host bits set ("10.1.2.3/8") usually mean a typo in the prefix length.
  const std::size_t size = range.family == AF_INET ? 4 : 16;
  for (std::size_t bit = range.prefix; bit < size * 8; ++bit) {
    if (range.bytes[bit / 8] & (0x80u >> (bit % 8)))
      return std::unexpected("expected a network whose host bits are zero (like \"10.0.0.0/8\"), got " +
                             in_quotes(text));
  }
  return range;
}

Parsed<RedisSessionStore> parse_redis_save_path(std::string_view text) {
  RedisSessionStore store;
  store.save_path = std::string{text};
  std::string_view rest = text;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty())
    return std::unexpected(std::string{"expected a Redis server address like \"tcp://127.0.0.1:6379\""});
  if (rest.find(',') != std::string_view::npos)
    return std::unexpected("expected one Redis server (several servers spread sessions Gatehouse cannot audit), got " +
                           in_quotes(text));
  const std::size_t q = rest.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
  rest = rest.substr(0, q);
  if (rest.starts_with("unix://") || rest.front() == '/') {
    store.scheme = "unix";
    store.socket = std::string{rest.starts_with("unix://") ? rest.substr(7) : rest};
    if (store.socket.empty() || !store.socket.is_absolute())
      return std::unexpected("expected unix:///absolute/path.sock, got " + in_quotes(text));
  } else {
    store.scheme = "tcp";
    if (const std::size_t sep = rest.find("://"); sep != std::string_view::npos) {
      store.scheme = std::string{rest.substr(0, sep)};
      rest = rest.substr(sep + 3);
    }
    if (store.scheme != "tcp" && store.scheme != "tls" && store.scheme != "ssl")
      return std::unexpected("expected tcp://, tls:// or unix://, got " + in_quotes(text));
    std::string_view port_text;
    if (rest.starts_with('[')) {  // [::1]:6379
      const std::size_t close = rest.find(']');
      if (close == std::string_view::npos) return std::unexpected("unterminated '[' in " + in_quotes(text));
      store.host = std::string{rest.substr(1, close - 1)};
      if (rest.size() > close + 1 && rest[close + 1] == ':') port_text = rest.substr(close + 2);
    } else {
      const std::size_t colon = rest.rfind(':');
      store.host = std::string{rest.substr(0, colon)};
      if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    }
    if (store.host.empty()) return std::unexpected("expected a host in " + in_quotes(text));
    if (!port_text.empty() && (!to_number(port_text, store.port) || store.port == 0))
      return std::unexpected("expected a port from 1 to 65535 in " + in_quotes(text));
  }
  if (auto bad = read_query(query, store)) return std::unexpected(*bad);
  return store;
}

bool is_node_local_address(std::string_view ip) {
  std::uint8_t b[16] = {};
  const std::string s{ip};
  if (s == "localhost") return true;
  if (::inet_pton(AF_INET, s.c_str(), b) == 1) return b[0] == 127 || (b[0] | b[1] | b[2] | b[3]) == 0;
  if (::inet_pton(AF_INET6, s.c_str(), b) == 1) {
    bool zero_head = true;
    for (int i = 0; i < 15; ++i) zero_head = zero_head && b[i] == 0;
    return zero_head && (b[15] == 0 || b[15] == 1);  // :: and ::1
  }
  return false;
}

}  // namespace gatehouse::config

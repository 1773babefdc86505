// Trusted balancers and the client address they report; see forwarding.hpp.
#include "http/forwarding.hpp"

#include <arpa/inet.h>

#include <boost/beast/core/string.hpp>

namespace gatehouse::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A bare IPv4 or IPv6 address, as text, or nullopt ("unknown", host names,
// "[::1]:80" and "1.2.3.4:5" forms are not addresses we act on).
std::optional<boost::asio::ip::address> address_of(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string{text}, ec);
  if (ec) return std::nullopt;
  return a;
}

// The balancer's own value comes last: the last item of a comma-separated list.
std::string_view last_item(std::string_view list) {
  const std::size_t comma = list.rfind(',');
  return trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

bool named(std::string_view name, std::string_view wanted) {
  return boost::beast::iequals({name.data(), name.size()}, {wanted.data(), wanted.size()});
}

}  // namespace

Forwarding::Forwarding(const std::vector<handlers::SiteRoutes>& sites, const config::Server& server)
    : trusted_(server.trusted_proxies) {
  for (const auto& routes : sites) {
    const config::Site& site = *routes.site;
    if (!site.proxy_protocol && !site.forwarded_headers) continue;
    for (const auto& b : site.bindings)
      ports_.emplace_back(b.port, PortForwarding{site.proxy_protocol, site.forwarded_headers});
  }
}

PortForwarding Forwarding::on_port(std::uint16_t port) const {
  for (const auto& [p, policy] : ports_)
    if (p == port) return policy;
  return {};
}

bool Forwarding::trusted(const boost::asio::ip::address& peer) const {
  if (trusted_.empty()) return false;
  if (peer.is_v4()) {
    const auto bytes = peer.to_v4().to_bytes();
    for (const auto& range : trusted_)
      if (range.contains(AF_INET, bytes.data())) return true;
    return false;
  }
  const auto v6 = peer.to_v6();
  if (v6.is_v4_mapped())
    return trusted(boost::asio::ip::address{boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6)});
  const auto bytes = v6.to_bytes();
  for (const auto& range : trusted_)
    if (range.contains(AF_INET6, bytes.data())) return true;
  return false;
}

bool Forwarding::trusted(std::string_view ip) const {
  auto a = address_of(ip);
  return a && trusted(*a);
}

std::optional<std::string> Forwarding::client_of(const std::vector<std::string_view>& values) const {
  std::optional<std::string> leftmost_trusted;
  for (auto field = values.rbegin(); field != values.rend(); ++field) {
    std::string_view rest = *field;
    while (!rest.empty()) {
      const std::size_t comma = rest.rfind(',');
      const std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
      auto a = address_of(entry);
      if (!a) return leftmost_trusted;  // garbage: stop believing anything to its left
      if (!trusted(*a)) return a->to_string();
      leftmost_trusted = a->to_string();
    }
  }
  return leftmost_trusted;  // every hop was a trusted proxy: the first of them
}

ConnectionForwarding Forwarding::begin(const handlers::Peer& peer) const {
  ConnectionForwarding c;
  c.port = on_port(peer.local_port);
  if (!c.port.proxy_protocol && !c.port.forwarded_headers) return c;  // the usual port: nothing to copy
  c.client_ip = peer.remote_ip;
  c.client_port = peer.remote_port;
  c.https = peer.https;
  c.peer_trusted = trusted(peer.remote_ip);  // by the TCP peer alone, never by a header
  return c;
}

void Forwarding::apply(const ConnectionForwarding& connection, const handlers::Request& request,
                       handlers::Peer& peer) const {
  if (!connection.port.forwarded_headers) return;  // the port never takes them: the peer is the connection's
  peer.remote_ip = connection.client_ip;
  peer.remote_port = connection.client_port;
  peer.https = connection.https;
  if (!connection.peer_trusted || request.reject_status != 0) return;
  std::vector<std::string_view> chain;
  std::optional<std::string_view> proto;
  for (const auto& f : request.fields) {
    const std::string_view name = request.field_name(f);
    if (named(name, "X-Forwarded-For"))
      chain.push_back(request.field_value(f));
    else if (named(name, "X-Forwarded-Proto"))
      proto = request.field_value(f);
  }
  if (!chain.empty()) {
    if (auto client = client_of(chain)) {
      peer.remote_ip = std::move(*client);
      peer.remote_port = 0;  // X-Forwarded-For carries no port
    }
  }
  if (proto) peer.https = named(last_item(*proto), "https");
}

long Forwarding::may_log(std::chrono::steady_clock::time_point now) {
  if (now - last_log_ < std::chrono::seconds(1)) {
    ++suppressed_;
    return -1;
  }
  last_log_ = now;
  return std::exchange(suppressed_, 0);
}

}  // namespace gatehouse::http

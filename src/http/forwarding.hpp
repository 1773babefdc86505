// Who the client is behind a load balancer: which ports take a PROXY v2
// header or X-Forwarded-* headers (sites opt in), which peers are trusted to
// send them ([server] trusted_proxies), and the client each request is seen
// from: one implementation for HTTP/1.1 sessions and HTTP/2 streams. One per
// worker thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "handlers/request.hpp"
#include "handlers/site_map.hpp"

namespace gatehouse::http {

struct PortForwarding {
  bool proxy_protocol = false;
  bool forwarded_headers = false;
};

// A connection's forwarding state (Session::forwarding_; an HTTP/2 stream
// makes its own from its connection's peer).
struct ConnectionForwarding {
  PortForwarding port;
  bool peer_trusted = false;   // the TCP peer is one of trusted_proxies
  bool proxy_pending = false;  // the PROXY header is still to be read
  std::string client_ip;       // the connection's client: the TCP peer, or what the PROXY header said
  std::uint16_t client_port = 0;
  bool https = false;  // the connection's own scheme (TLS), which only a trusted X-Forwarded-Proto overrides
};

class Forwarding {
 public:
  Forwarding(const std::vector<handlers::SiteRoutes>& sites, const config::Server& server);

  // The load check config::check_farm_settings made: one policy per port.
  PortForwarding on_port(std::uint16_t port) const;
  bool trusted(const boost::asio::ip::address& peer) const;
  bool trusted(std::string_view ip) const;

  // The state of a connection accepted from `peer` (remote_ip: the TCP peer,
  // before any PROXY header): trust is decided here, by that address only.
  ConnectionForwarding begin(const handlers::Peer& peer) const;

  // The peer one request is seen from, written into `peer` (untouched on a
  // port without forwarded_headers). Each request
  // starts afresh from the connection's client (a keep-alive connection or an
  // HTTP/2 stream carries nothing over); then, from a trusted TCP peer only,
  // X-Forwarded-For names the client (client_of, REMOTE_PORT 0) and the last
  // item of the last X-Forwarded-Proto the scheme. A head the parser rejected
  // (reject_status) may have lost the balancer's own field to a limit, so its
  // headers are not believed either.
  void apply(const ConnectionForwarding& connection, const handlers::Request& request, handlers::Peer& peer) const;

  // The client named by X-Forwarded-For values (comma-separated, oldest
  // first, possibly several fields): the rightmost address that is not a
  // trusted proxy, so a client cannot choose what a balancer appends after
  // its own forged entries. nullopt when no entry is a valid address.
  std::optional<std::string> client_of(const std::vector<std::string_view>& values) const;

  // At most one line a second for refused connections (a scan must not fill
  // the error log); returns how many were left out before this one, or -1
  // when this one is to be left out too.
  long may_log(std::chrono::steady_clock::time_point now);

 private:
  std::vector<std::pair<std::uint16_t, PortForwarding>> ports_;
  const std::vector<config::IpRange>& trusted_;
  std::chrono::steady_clock::time_point last_log_{};
  long suppressed_ = 0;
};

}  // namespace gatehouse::http

// Who the client is behind a load balancer: which ports take a PROXY v2
// header or X-Forwarded-* headers (sites opt in), and which peers are
// trusted to send them ([server] trusted_proxies). One per worker thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "handlers/site_map.hpp"

namespace gatehouse::http {

struct PortForwarding {
  bool proxy_protocol = false;
  bool forwarded_headers = false;
};

// A connection's forwarding state (Session::forwarding_).
struct ConnectionForwarding {
  PortForwarding port;
  bool peer_trusted = false;   // the TCP peer is one of trusted_proxies
  bool proxy_pending = false;  // the PROXY header is still to be read
  std::string client_ip;       // the connection's client: the TCP peer, or what the PROXY header said
  std::uint16_t client_port = 0;
};

class Forwarding {
 public:
  Forwarding(const std::vector<handlers::SiteRoutes>& sites, const config::Server& server);

  // The load check config::check_farm_settings made: one policy per port.
  PortForwarding on_port(std::uint16_t port) const;
  bool trusted(const boost::asio::ip::address& peer) const;
  bool trusted(std::string_view ip) const;

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

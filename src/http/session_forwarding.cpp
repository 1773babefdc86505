// The Session's steps behind a load balancer: the PROXY v2 header before the
// first request, and X-Forwarded-For / -Proto per request, both believed only
// from [server] trusted_proxies (forwarding.hpp). The TCP peer decides trust:
// what a header says never makes a connection trusted.
#include "common/log.hpp"
#include "http/proxy_protocol.hpp"
#include "http/session.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {

bool Session::begin_forwarding() {
  Forwarding& forwarding = worker_.view()->forwarding();
  forwarding_ = forwarding.begin(peer_);
  if (!forwarding_.port.proxy_protocol) return true;
  if (!forwarding_.peer_trusted) {
    if (const long left_out = forwarding.may_log(std::chrono::steady_clock::now()); left_out >= 0)
      log::warn(
          "[http] connection from {} to port {} closed: this port takes a PROXY protocol header, and only from "
          "[server] trusted_proxies{}",
          peer_.remote_ip, peer_.local_port,
          left_out > 0 ? " (" + std::to_string(left_out) + " more since the last line)" : std::string{});
    return false;
  }
  forwarding_.proxy_pending = true;
  return true;
}

bool Session::take_proxy_header() {
  const std::string_view bytes{static_cast<const char*>(buffer_.data().data()), buffer_.size()};
  const ProxyHeader header = parse_proxy_v2(bytes);
  if (header.status == ProxyParse::NeedMore) {
    do_read();
    return false;
  }
  if (header.status == ProxyParse::Invalid) {
    if (const long left_out = worker_.view()->forwarding().may_log(std::chrono::steady_clock::now()); left_out >= 0)
      log::warn("[http] connection from {} to port {} closed: {}{}", peer_.remote_ip, peer_.local_port, header.error,
                left_out > 0 ? " (" + std::to_string(left_out) + " more since the last line)" : std::string{});
    destroy();
    return false;
  }
  buffer_.consume(header.length);
  forwarding_.proxy_pending = false;
  if (header.has_source) {  // LOCAL (the balancer's health check) keeps the balancer's address
    peer_.remote_ip = forwarding_.client_ip = header.source_ip;
    peer_.remote_port = forwarding_.client_port = header.source_port;
  }
  if (buffer_.size() > 0) return true;
  do_read();
  return false;
}

void Session::apply_forwarded_headers() { worker_.view()->forwarding().apply(forwarding_, request_, peer_); }

}  // namespace gatehouse::http

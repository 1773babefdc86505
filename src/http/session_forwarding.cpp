// The Session's steps behind a load balancer: the PROXY v2 header before the
// first request, and X-Forwarded-For / -Proto per request, both believed only
// from [server] trusted_proxies (forwarding.hpp). The TCP peer decides trust:
// what a header says never makes a connection trusted.
#include <boost/beast/core/string.hpp>

#include "common/log.hpp"
#include "http/proxy_protocol.hpp"
#include "http/session.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

std::string_view last_item(std::string_view list) {
  const std::size_t comma = list.rfind(',');
  std::string_view v = comma == std::string_view::npos ? list : list.substr(comma + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

bool Session::begin_forwarding() {
  Forwarding& forwarding = worker_.view()->forwarding();
  forwarding_.port = forwarding.on_port(peer_.local_port);
  if (!forwarding_.port.proxy_protocol && !forwarding_.port.forwarded_headers) return true;
  boost::system::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  forwarding_.peer_trusted = !ec && forwarding.trusted(remote.address());
  forwarding_.client_ip = peer_.remote_ip;
  forwarding_.client_port = peer_.remote_port;
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

void Session::apply_forwarded_headers() {
  peer_.remote_ip = forwarding_.client_ip;  // each request of a keep-alive connection starts afresh
  peer_.remote_port = forwarding_.client_port;
  peer_.https = false;
  if (!forwarding_.peer_trusted) return;  // a header from anyone else changes nothing
  std::vector<std::string_view> chain;
  std::string_view proto;
  for (const auto& f : request_.fields) {
    const std::string_view name = request_.field_name(f);
    if (boost::beast::iequals({name.data(), name.size()}, "X-Forwarded-For")) {
      chain.push_back(request_.field_value(f));
    } else if (boost::beast::iequals({name.data(), name.size()}, "X-Forwarded-Proto")) {
      proto = request_.field_value(f);
    }
  }
  if (!chain.empty()) {
    if (auto client = worker_.view()->forwarding().client_of(chain)) {
      peer_.remote_ip = std::move(*client);
      peer_.remote_port = 0;  // X-Forwarded-For carries no port
    }
  }
  const std::string_view scheme = last_item(proto);  // the balancer's own value comes last
  peer_.https = boost::beast::iequals({scheme.data(), scheme.size()}, "https");
}

}  // namespace gatehouse::http

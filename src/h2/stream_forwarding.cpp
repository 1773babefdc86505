// A stream's client behind a load balancer: on a port with forwarded_headers,
// X-Forwarded-For / -Proto from a trusted TCP peer of the connection name the
// client PHP, the access log and the authentication gate see, by the same
// rules as HTTP/1.1 (http::Forwarding::apply). Each stream decides alone.
#include "h2/connection.hpp"
#include "h2/stream.hpp"

namespace gatehouse::h2 {

void Stream::apply_forwarding() {
  const http::Forwarding& forwarding = view_->forwarding();
  const handlers::Peer& peer = conn_.peer();
  const http::ConnectionForwarding connection = forwarding.begin(peer);
  // A port that takes no forwarded headers, or a peer nobody trusts: the
  // connection's peer stands, and nothing is copied.
  if (!connection.port.forwarded_headers || !connection.peer_trusted) return;
  forwarded_peer_ = peer;
  forwarding.apply(connection, request_, *forwarded_peer_);
}

}  // namespace gatehouse::h2

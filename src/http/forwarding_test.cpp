// Trust decisions behind a balancer: which peers are believed, which
// X-Forwarded-For entry names the client when a client forges entries, and
// the peer a request is seen from (the one implementation both HTTP/1.1 and
// HTTP/2 call).
#include "http/forwarding.hpp"

#include <gtest/gtest.h>

#include "config/networks.hpp"

namespace gatehouse::http {
namespace {

config::Server server_trusting(std::initializer_list<const char*> ranges) {
  config::Server server;
  for (const char* r : ranges) server.trusted_proxies.push_back(*config::parse_ip_range(r));
  return server;
}

// A site whose port 443 takes forwarded headers; the routes point into it.
struct ForwardingSite {
  config::Site site;
  std::vector<handlers::SiteRoutes> routes;
  explicit ForwardingSite(bool forwarded_headers = true) {
    site.forwarded_headers = forwarded_headers;
    config::Binding b;
    b.scheme = "https";
    b.port = 443;
    site.bindings.push_back(b);
    routes.push_back(handlers::SiteRoutes{&site, 0, {}});
  }
};

handlers::Request request_with(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  handlers::Request r;
  for (auto [name, value] : fields) {
    const auto at = static_cast<std::uint32_t>(r.arena.size());
    r.fields.push_back({boost::beast::http::string_to_field({name.data(), name.size()}), at,
                        static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(at + name.size() + 1),
                        static_cast<std::uint32_t>(value.size())});
    r.arena.append(name).append(1, '\0').append(value).append(1, '\0');
  }
  r.take_views();
  return r;
}

handlers::Peer tls_peer(std::string ip) { return handlers::Peer{std::move(ip), 50000, "127.0.0.1", 443, true}; }

TEST(Forwarding, TrustedPeers) {
  const config::Server server = server_trusting({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  const Forwarding f({}, server);
  EXPECT_TRUE(f.trusted("127.0.0.1"));
  EXPECT_FALSE(f.trusted("127.0.0.2"));
  EXPECT_TRUE(f.trusted("10.9.8.7"));
  EXPECT_TRUE(f.trusted("::ffff:10.1.1.1"));  // a v4-mapped peer on a dual-stack socket
  EXPECT_TRUE(f.trusted("fd00::5"));
  EXPECT_FALSE(f.trusted("fe80::1"));
  EXPECT_FALSE(f.trusted("not an address"));
  const config::Server none;
  EXPECT_FALSE(Forwarding({}, none).trusted("127.0.0.1")) << "nobody is trusted by default";
}

TEST(Forwarding, ClientIsTheRightmostUntrustedEntry) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const Forwarding f({}, server);
  EXPECT_EQ(f.client_of({"203.0.113.7"}), "203.0.113.7");
  // The client wrote "1.1.1.1" itself; the balancer appended the address it saw.
  EXPECT_EQ(f.client_of({"1.1.1.1, 203.0.113.7"}), "203.0.113.7");
  // Two balancers in a row: both trusted, skipped.
  EXPECT_EQ(f.client_of({"203.0.113.7, 10.0.0.2"}), "203.0.113.7");
  // Several fields are one list, in order.
  EXPECT_EQ(f.client_of({"1.1.1.1", "203.0.113.7, 10.0.0.3"}), "203.0.113.7");
  EXPECT_EQ(f.client_of({" 2001:db8::7 "}), "2001:db8::7");
  // Garbage stops the walk: nothing to its left is believed.
  EXPECT_EQ(f.client_of({"1.1.1.1, unknown"}), std::nullopt);
  EXPECT_EQ(f.client_of({"1.1.1.1, evil, 10.0.0.2"}), "10.0.0.2");
  EXPECT_EQ(f.client_of({"10.0.0.1, 10.0.0.2"}), "10.0.0.1");  // only balancers: the first
  EXPECT_EQ(f.client_of({""}), std::nullopt);
  EXPECT_EQ(f.client_of({"203.0.113.7:4711"}), std::nullopt);  // not an address form we act on
}

TEST(Forwarding, TrustIsTheTcpPeers) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const ForwardingSite site;
  const Forwarding f(site.routes, server);
  const ConnectionForwarding trusted = f.begin(tls_peer("10.0.0.9"));
  EXPECT_TRUE(trusted.port.forwarded_headers);
  EXPECT_TRUE(trusted.peer_trusted);
  EXPECT_EQ(trusted.client_ip, "10.0.0.9");
  EXPECT_EQ(trusted.client_port, 50000);
  EXPECT_TRUE(trusted.https);
  EXPECT_FALSE(f.begin(tls_peer("192.0.2.1")).peer_trusted);
  handlers::Peer other_port = tls_peer("10.0.0.9");
  other_port.local_port = 8443;  // no site there opted in: nothing is believed, whoever connects
  EXPECT_FALSE(f.begin(other_port).port.forwarded_headers);
  EXPECT_FALSE(f.begin(other_port).peer_trusted);
}

TEST(Forwarding, TrustedPeerNamesTheClientAndScheme) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const ForwardingSite site;
  const Forwarding f(site.routes, server);
  const ConnectionForwarding c = f.begin(tls_peer("10.0.0.9"));
  handlers::Peer peer = tls_peer("10.0.0.9");
  f.apply(c, request_with({{"x-forwarded-for", "6.6.6.6, 203.0.113.7"}, {"x-forwarded-proto", "http"}}), peer);
  EXPECT_EQ(peer.remote_ip, "203.0.113.7");
  EXPECT_EQ(peer.remote_port, 0);
  EXPECT_FALSE(peer.https) << "the balancer says the client spoke http";
  // HTTP/1.1's spelling, several fields: one list; the last Proto's last item.
  f.apply(c,
          request_with({{"X-Forwarded-For", "6.6.6.6"},
                        {"X-Forwarded-For", "198.51.100.2"},
                        {"X-Forwarded-Proto", "http"},
                        {"X-Forwarded-Proto", "http, HTTPS"}}),
          peer);
  EXPECT_EQ(peer.remote_ip, "198.51.100.2");
  EXPECT_TRUE(peer.https);
  // The next request (keep-alive, or the next h2 stream) starts afresh.
  f.apply(c, request_with({{"user-agent", "x"}}), peer);
  EXPECT_EQ(peer.remote_ip, "10.0.0.9");
  EXPECT_EQ(peer.remote_port, 50000);
  EXPECT_TRUE(peer.https) << "no X-Forwarded-Proto: the connection's own TLS stands";
}

TEST(Forwarding, UntrustedPeerChangesNothing) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const ForwardingSite site;
  const Forwarding f(site.routes, server);
  const ConnectionForwarding c = f.begin(tls_peer("192.0.2.1"));
  handlers::Peer peer = tls_peer("192.0.2.1");
  f.apply(c, request_with({{"x-forwarded-for", "10.0.0.1, 203.0.113.7"}, {"x-forwarded-proto", "http"}}), peer);
  EXPECT_EQ(peer.remote_ip, "192.0.2.1");
  EXPECT_EQ(peer.remote_port, 50000);
  EXPECT_TRUE(peer.https) << "a forged X-Forwarded-Proto does not turn a TLS connection's HTTPS off";
}

TEST(Forwarding, RejectedHeadIsNotBelieved) {
  // Past a header limit the balancer's own field (it comes last) may be the
  // one that was dropped, and what remains is what the client wrote.
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const ForwardingSite site;
  const Forwarding f(site.routes, server);
  const ConnectionForwarding c = f.begin(tls_peer("10.0.0.9"));
  handlers::Peer peer = tls_peer("10.0.0.9");
  handlers::Request r = request_with({{"x-forwarded-for", "6.6.6.6"}});
  r.reject_status = 431;
  f.apply(c, r, peer);
  EXPECT_EQ(peer.remote_ip, "10.0.0.9");
}

TEST(Forwarding, PortWithoutForwardedHeadersKeepsThePeer) {
  const config::Server server = server_trusting({"10.0.0.0/8"});
  const ForwardingSite site(false);
  const Forwarding f(site.routes, server);
  const ConnectionForwarding c = f.begin(tls_peer("10.0.0.9"));
  handlers::Peer peer = tls_peer("10.0.0.9");
  f.apply(c, request_with({{"x-forwarded-for", "203.0.113.7"}}), peer);
  EXPECT_EQ(peer.remote_ip, "10.0.0.9");
  EXPECT_EQ(peer.remote_port, 50000);
}

TEST(Forwarding, RefusalLinesAreRateLimited) {
  const config::Server server;
  Forwarding f({}, server);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.may_log(t0), 0);
  EXPECT_EQ(f.may_log(t0 + std::chrono::milliseconds(10)), -1);
  EXPECT_EQ(f.may_log(t0 + std::chrono::milliseconds(20)), -1);
  EXPECT_EQ(f.may_log(t0 + std::chrono::seconds(2)), 2);
}

}  // namespace
}  // namespace gatehouse::http

// The server's TLS contexts: one SSL_CTX per certificate, and per https port
// the certificate each SNI host name gets (the "*" binding's when no name
// matches). Built from files read once at start-up, by the privileged process.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "tls/ticket_keys.hpp"

namespace gatehouse::tls {

// What one https port serves: its SNI table.
struct PortContexts {
  SSL_CTX* fallback = nullptr;                          // no SNI, or a name no binding has
  std::vector<std::pair<std::string, SSL_CTX*>> hosts;  // lower-case host -> its certificate's context
};

class Contexts {
 public:
  // `http2`: ALPN offers "h2" (the build serves it and [server.tls] http2 is on).
  static Result<std::unique_ptr<Contexts>> build(const config::Config& config, bool http2);
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;
  ~Contexts();

  // The SNI table of an https port; nullptr for a plain http port.
  const PortContexts* port(std::uint16_t port) const;
  bool empty() const { return ports_.empty(); }

 private:
  explicit Contexts(const config::Tls& options);
  Result<SSL_CTX*> context_for(const config::Path& certificate, const config::Path& key,
                               const std::optional<config::Path>& ocsp);

  const config::Tls& options_;
  bool http2_ = false;
  TicketKeys tickets_;
  std::map<std::pair<std::string, std::string>, SSL_CTX*> by_files_;  // (certificate, key) -> context
  std::vector<std::unique_ptr<std::string>> staples_;                 // OCSP responses, owned here
  std::map<std::uint16_t, PortContexts> ports_;
};

// The SNI table a new connection was accepted under (for the servername callback).
void attach(SSL* ssl, const PortContexts* port);

}  // namespace gatehouse::tls

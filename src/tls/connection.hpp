// One TLS connection over a non-blocking socket, with SSL_* directly on the
// fd (no Asio stream): the session keeps its own single writer and deadline
// logic, and only swaps send/recv for these calls. Each call says what the
// socket must become (readable, writable) before it is tried again.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string_view>

#include "tls/contexts.hpp"

namespace gatehouse::tls {

enum class Want { None, Read, Write, Closed, Failed };

struct IoResult {
  Want want = Want::None;  // None: `n` bytes moved
  std::size_t n = 0;
};

class Connection {
 public:
  Connection(const PortContexts& port, int fd);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Want handshake();
  IoResult read(void* data, std::size_t size);
  IoResult write(const void* data, std::size_t size);
  // Sends close_notify, once, without waiting for the peer's.
  void shutdown();

  std::string_view version() const;  // "TLSv1.3"
  bool h2() const;                   // ALPN chose "h2"
  bool ktls_send() const;            // the kernel encrypts: sendfile works
  // kTLS: file bytes sent by the kernel (SSL_sendfile).
  IoResult sendfile(int file, std::uint64_t offset, std::size_t size);

 private:
  Want classify(int rc);
  SSL* ssl_ = nullptr;
  bool shut_ = false;
};

}  // namespace gatehouse::tls

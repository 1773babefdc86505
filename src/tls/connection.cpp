// SSL_* on a non-blocking fd. OpenSSL's error queue is per thread: it is
// cleared before each call so one connection's failure never leaks into the
// next call on the same I/O thread.
#include "tls/connection.hpp"

#include <openssl/err.h>

#include <cstring>

namespace gatehouse::tls {

Connection::Connection(const PortContexts& port, int fd) {
  ssl_ = SSL_new(port.fallback);
  if (!ssl_) return;
  attach(ssl_, &port);
  SSL_set_fd(ssl_, fd);
  SSL_set_accept_state(ssl_);
}

Connection::~Connection() {
  if (ssl_) SSL_free(ssl_);
}

Want Connection::classify(int rc) {
  int err = SSL_get_error(ssl_, rc);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Want::Read;
    case SSL_ERROR_WANT_WRITE:
      return Want::Write;
    case SSL_ERROR_ZERO_RETURN:
      return Want::Closed;
    case SSL_ERROR_SYSCALL:
      if (errno == EINTR) return Want::Read;
      [[fallthrough]];
    default:
      ERR_clear_error();
      return Want::Failed;
  }
}

Want Connection::handshake() {
  if (!ssl_) return Want::Failed;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  return rc == 1 ? Want::None : classify(rc);
}

IoResult Connection::read(void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  int rc = SSL_read_ex(ssl_, data, size, &n);
  if (rc == 1) return {Want::None, n};
  return {classify(rc), 0};
}

IoResult Connection::write(const void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  int rc = SSL_write_ex(ssl_, data, size, &n);
  if (rc == 1) return {Want::None, n};
  return {classify(rc), 0};
}

IoResult Connection::sendfile(int file, std::uint64_t offset, std::size_t size) {
  ERR_clear_error();
  ossl_ssize_t n = SSL_sendfile(ssl_, file, static_cast<off_t>(offset), size, 0);
  if (n >= 0) return {Want::None, static_cast<std::size_t>(n)};
  return {errno == EAGAIN ? Want::Write : Want::Failed, 0};
}

void Connection::shutdown() {
  if (shut_ || !ssl_ || !SSL_is_init_finished(ssl_)) return;
  shut_ = true;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string_view Connection::version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

bool Connection::h2() const {
  const unsigned char* proto = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &length);
  return length == 2 && std::memcmp(proto, "h2", 2) == 0;
}

bool Connection::ktls_send() const { return ssl_ && BIO_get_ktls_send(SSL_get_wbio(ssl_)); }

}  // namespace gatehouse::tls

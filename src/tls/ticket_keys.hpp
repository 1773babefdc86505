// Session-ticket keys shared by every TLS context of the server, rotated:
// a key encrypts new tickets for `rotation`, then only decrypts (and asks for
// a fresh ticket) for as long again, so a stolen key exposes little.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <mutex>

namespace gatehouse::tls {

class TicketKeys {
 public:
  explicit TicketKeys(std::chrono::seconds rotation) : rotation_(rotation) {}
  // Makes `ctx` encrypt and decrypt its tickets with these keys (which must outlive it).
  void install(SSL_CTX* ctx);
  // The number of key generations so far (1 after the first ticket), for tests.
  unsigned generations() const;

 private:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
    std::chrono::steady_clock::time_point created{};
    bool valid = false;
  };
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                      int encrypt);
  int on_ticket(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);
  void rotate_if_due();

  std::chrono::seconds rotation_;
  mutable std::mutex mutex_;
  Key current_, previous_;
  unsigned generations_ = 0;
};

}  // namespace gatehouse::tls

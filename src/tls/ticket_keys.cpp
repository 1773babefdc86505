// RFC 5077 ticket protection with OpenSSL 3's EVP callback: AES-256-CBC and
// HMAC-SHA256 under a named key, the names telling the two generations apart.
#include "tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace gatehouse::tls {
namespace {

int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool init_mac(EVP_MAC_CTX* mac, unsigned char* key, std::size_t length) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, length),
                         OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

void TicketKeys::install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ex_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::callback);
}

unsigned TicketKeys::generations() const {
  std::lock_guard lock(mutex_);
  return generations_;
}

int TicketKeys::callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                         int encrypt) {
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  return self ? self->on_ticket(name, iv, cipher, mac, encrypt) : -1;
}

void TicketKeys::rotate_if_due() {
  auto now = std::chrono::steady_clock::now();
  if (current_.valid && now - current_.created < rotation_) return;
  if (current_.valid && now - current_.created < 2 * rotation_) {
    previous_ = current_;
  } else {
    previous_.valid = false;  // idle for two periods: the old key is past its use
  }
  Key fresh;
  if (RAND_bytes(fresh.name.data(), fresh.name.size()) != 1 || RAND_bytes(fresh.aes.data(), fresh.aes.size()) != 1 ||
      RAND_bytes(fresh.hmac.data(), fresh.hmac.size()) != 1)
    return;  // no randomness: keep what there is (no key: no tickets)
  fresh.created = now;
  fresh.valid = true;
  current_ = fresh;
  ++generations_;
}

int TicketKeys::on_ticket(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                          int encrypt) {
  std::lock_guard lock(mutex_);
  rotate_if_due();
  if (encrypt) {
    if (!current_.valid || RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1) return -1;
    std::memcpy(name, current_.name.data(), current_.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, current_.aes.data(), iv) != 1) return -1;
    return init_mac(mac, current_.hmac.data(), current_.hmac.size()) ? 1 : -1;
  }
  Key* key = nullptr;
  int result = 1;
  if (current_.valid && std::memcmp(name, current_.name.data(), 16) == 0) {
    key = &current_;
  } else if (previous_.valid && std::memcmp(name, previous_.name.data(), 16) == 0) {
    key = &previous_;
    result = 2;  // valid, but the client gets a ticket under the current key
  }
  if (!key) return 0;  // unknown or expired: a full handshake
  if (!init_mac(mac, key->hmac.data(), key->hmac.size())) return -1;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv) != 1) return -1;
  return result;
}

}  // namespace gatehouse::tls

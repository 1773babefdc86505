// SSL_CTX set-up: TLS 1.2+ only, the configured ciphers, tickets, ALPN, SNI
// and OCSP staples. Keys are checked (owner-only) before OpenSSL reads them.
#include "tls/contexts.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace gatehouse::tls {
namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int port_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// SNI: switch to the certificate of the binding with this host name.
int on_servername(SSL* ssl, int*, void*) {
  const auto* port = static_cast<const PortContexts*>(SSL_get_ex_data(ssl, port_index()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!port || !name) return SSL_TLSEXT_ERR_OK;
  std::string host(name);
  for (char& c : host)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const auto& [h, ctx] : port->hosts) {
    if (h != host) continue;
    if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
    break;
  }
  return SSL_TLSEXT_ERR_OK;
}

// ALPN: h2 when offered and served, else http/1.1; a client offering
// neither goes on without ALPN (and speaks HTTP/1.1).
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in, unsigned in_len,
            void* arg) {
  const bool http2 = arg != nullptr;
  static const unsigned char kH2[] = "\x02h2";
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* chosen = nullptr;
  if (http2 && SSL_select_next_proto(&chosen, out_len, kH2, 3, in, in_len) == OPENSSL_NPN_NEGOTIATED) {
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }
  if (SSL_select_next_proto(&chosen, out_len, kHttp11, 9, in, in_len) == OPENSSL_NPN_NEGOTIATED) {
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int on_status(SSL* ssl, void* arg) {
  const auto* staple = static_cast<const std::string*>(arg);
  if (!staple || staple->empty()) return SSL_TLSEXT_ERR_NOACK;
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(staple->size()));
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  std::memcpy(copy, staple->data(), staple->size());
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple->size()));
  return SSL_TLSEXT_ERR_OK;
}

// The key must be private to its owner, checked on the opened file.
Status check_key_file(const config::Path& key) {
  int fd = ::open(key.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(Error::sys("open", key.string()));
  struct stat st {};
  int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) return std::unexpected(Error::sys("stat", key.string()));
  if (st.st_mode & 077)
    return std::unexpected(
        Error::logic("load private key", key.string(),
                     "it is accessible by group or others; refused (run chmod 600 " + key.string() + ")"));
  return {};
}

}  // namespace

void attach(SSL* ssl, const PortContexts* port) { SSL_set_ex_data(ssl, port_index(), const_cast<PortContexts*>(port)); }

Contexts::Contexts(const config::Tls& options) : options_(options), tickets_(options.ticket_key_rotation) {}

Contexts::~Contexts() {
  for (auto& [files, ctx] : by_files_) SSL_CTX_free(ctx);
}

const PortContexts* Contexts::port(std::uint16_t port) const {
  auto it = ports_.find(port);
  return it == ports_.end() ? nullptr : &it->second;
}

Result<SSL_CTX*> Contexts::context_for(const config::Path& certificate, const config::Path& key,
                                       const std::optional<config::Path>& ocsp) {
  auto files = std::pair{certificate.string(), key.string()};
  if (auto it = by_files_.find(files); it != by_files_.end()) return it->second;
  if (auto ok = check_key_file(key); !ok) return std::unexpected(ok.error());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return std::unexpected(Error::logic("create TLS context", certificate.string(), openssl_error()));
  by_files_.emplace(files, ctx);  // freed by the destructor, whatever fails below
  auto fail = [&](const std::string& what) -> Result<SSL_CTX*> {
    return std::unexpected(Error::logic("load TLS", what, openssl_error()));
  };
  SSL_CTX_set_min_proto_version(ctx, options_.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  // No renegotiation (a client-initiated DoS), no compression (CRIME).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_KTLS);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, options_.ciphers.c_str()) != 1) return fail("[server.tls] ciphers");
  if (SSL_CTX_set_ciphersuites(ctx, options_.ciphersuites.c_str()) != 1) return fail("[server.tls] ciphersuites");
  if (SSL_CTX_set1_groups_list(ctx, "X25519:prime256v1:secp384r1") != 1) return fail("groups");
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) != 1) return fail(certificate.string());
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return fail(key.string());
  if (SSL_CTX_check_private_key(ctx) != 1) return fail(key.string() + " does not match " + certificate.string());
  static const unsigned char kSessionContext[] = "gatehouse";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);  // stateless tickets only: nothing per client kept
  SSL_CTX_set_num_tickets(ctx, 1);
  // Read what the socket has in one read(2), not a record header then its
  // body: one syscall per request instead of two (measured with strace -c).
  // Safe: the session always tries SSL_read before it waits for the socket.
  SSL_CTX_set_read_ahead(ctx, 1);  // TLS 1.3: one ticket per handshake (OpenSSL sends 2 by default)
  tickets_.install(ctx);
  SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
  SSL_CTX_set_alpn_select_cb(ctx, on_alpn, http2_ ? this : nullptr);
  if (options_.ocsp_stapling && ocsp) {
    std::ifstream in(*ocsp, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in) return std::unexpected(Error::sys("read", ocsp->string()));
    staples_.push_back(std::make_unique<std::string>(bytes.str()));
    SSL_CTX_set_tlsext_status_cb(ctx, on_status);
    SSL_CTX_set_tlsext_status_arg(ctx, staples_.back().get());
  }
  return ctx;
}

Result<std::unique_ptr<Contexts>> Contexts::build(const config::Config& config, bool http2) {
  std::unique_ptr<Contexts> out(new Contexts(config.server.tls));
  out->http2_ = http2 && config.server.tls.http2;
  std::set<std::uint16_t> stars;  // ports whose fallback is a "*" binding's
  for (const auto& site : config.sites) {
    for (const auto& binding : site.bindings) {
      if (!binding.https()) continue;
      auto certificate = site.certificate_of(binding);
      auto key = site.key_of(binding);
      if (!certificate || !key)
        return std::unexpected(Error::logic("load TLS", binding.text, "the binding has no certificate and key"));
      auto ctx = out->context_for(*certificate, *key, site.tls.ocsp_response);
      if (!ctx) return std::unexpected(ctx.error());
      PortContexts& port = out->ports_[binding.port];
      if (binding.host == "*" && !stars.contains(binding.port)) {
        stars.insert(binding.port);
        port.fallback = *ctx;
      } else if (binding.host != "*") {
        port.hosts.emplace_back(binding.host, *ctx);
        if (!port.fallback) port.fallback = *ctx;  // no "*" binding (yet): the first certificate
      }
    }
  }
  return out;
}

}  // namespace gatehouse::tls

// TLS contexts over a socketpair, with an OpenSSL client: SNI picks the
// certificate, ALPN falls back to http/1.1, tickets resume, old versions and
// unprotected keys are refused. make_self_signed makes the certificates.
#include "tls/contexts.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "tls/certificate.hpp"
#include "tls/connection.hpp"

namespace gatehouse::tls {
namespace {

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/gh-tls-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    for (const char* host : {"a.example", "b.example"})
      ASSERT_TRUE(make_self_signed(dir_ / (std::string(host) + ".crt"), dir_ / (std::string(host) + ".key"), host));
    config::Site site;
    config::Binding any, b;
    any.scheme = b.scheme = "https";
    any.port = b.port = 443;
    b.host = "b.example";
    b.certificate = dir_ / "b.example.crt";
    b.key = dir_ / "b.example.key";
    site.bindings = {any, b};
    site.tls.certificate = dir_ / "a.example.crt";
    site.tls.key = dir_ / "a.example.key";
    config_.sites.push_back(site);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One handshake with a client offering `sni` (may be null); the peer's CN, or "" when it failed.
  std::string handshake(const Contexts& contexts, const char* sni, int max_version = 0, SSL_SESSION** session = nullptr,
                        bool* reused = nullptr, std::string* alpn = nullptr) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) return "socketpair";
    Connection server(*contexts.port(443), fds[0]);
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    if (max_version) {
      SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(cctx, max_version);
      SSL_CTX_set_cipher_list(cctx, "DEFAULT@SECLEVEL=0");
    }
    SSL* client = SSL_new(cctx);
    SSL_set_fd(client, fds[1]);
    if (sni) SSL_set_tlsext_host_name(client, sni);
    static const unsigned char kAlpn[] = "\x02h2\x08http/1.1";
    SSL_set_alpn_protos(client, kAlpn, sizeof kAlpn - 1);
    if (session && *session) SSL_set_session(client, *session);
    bool client_done = false, server_done = false, failed = false;
    for (int i = 0; i < 200 && !(client_done && server_done) && !failed; ++i) {
      if (!client_done) {
        int rc = SSL_connect(client);
        client_done = rc == 1;
        int err = SSL_get_error(client, rc);
        failed = !client_done && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE;
      }
      if (!server_done) {
        Want w = server.handshake();
        server_done = w == Want::None;
        failed = failed || w == Want::Failed || w == Want::Closed;
      }
    }
    std::string cn;
    if (client_done && server_done) {
      // TLS 1.3 tickets arrive after the handshake: let the client read them.
      char byte;
      (void)server.write("x", 1);
      (void)SSL_read(client, &byte, 1);
      X509* peer = SSL_get1_peer_certificate(client);
      char buf[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
      X509_free(peer);
      cn = buf;
      if (reused) *reused = SSL_session_reused(client);
      if (session) {
        if (*session) SSL_SESSION_free(*session);
        *session = SSL_get1_session(client);
      }
      if (alpn) {
        const unsigned char* p = nullptr;
        unsigned n = 0;
        SSL_get0_alpn_selected(client, &p, &n);
        alpn->assign(reinterpret_cast<const char*>(p), n);
      }
    }
    SSL_shutdown(client);  // a session closed without it is marked not resumable
    SSL_free(client);
    SSL_CTX_free(cctx);
    ERR_clear_error();
    ::close(fds[0]);
    ::close(fds[1]);
    return cn;
  }

  fs::path dir_;
  config::Config config_;
};

TEST_F(TlsTest, SniPicksTheCertificate) {
  auto contexts = Contexts::build(config_, false);
  ASSERT_TRUE(contexts) << contexts.error().message();
  EXPECT_EQ(handshake(**contexts, "b.example"), "b.example");
  EXPECT_EQ(handshake(**contexts, "B.Example"), "b.example");
  EXPECT_EQ(handshake(**contexts, "other.example"), "a.example");  // the "*" binding's
  EXPECT_EQ(handshake(**contexts, nullptr), "a.example");
  EXPECT_EQ((*contexts)->port(80), nullptr);
}

TEST_F(TlsTest, AlpnOffersH2OnlyWhenServed) {
  std::string alpn;
  auto h1 = Contexts::build(config_, false);
  ASSERT_TRUE(h1);
  EXPECT_EQ(handshake(**h1, nullptr, 0, nullptr, nullptr, &alpn), "a.example");
  EXPECT_EQ(alpn, "http/1.1");
  auto h2 = Contexts::build(config_, true);
  ASSERT_TRUE(h2);
  EXPECT_EQ(handshake(**h2, nullptr, 0, nullptr, nullptr, &alpn), "a.example");
  EXPECT_EQ(alpn, "h2");
}

TEST_F(TlsTest, OldVersionsAreRefused) {
  auto contexts = Contexts::build(config_, false);
  ASSERT_TRUE(contexts);
  EXPECT_EQ(handshake(**contexts, nullptr, TLS1_VERSION), "");
  EXPECT_EQ(handshake(**contexts, nullptr, TLS1_1_VERSION), "");
  EXPECT_EQ(handshake(**contexts, nullptr, TLS1_2_VERSION), "a.example");
}

TEST_F(TlsTest, TicketsResumeSessions) {
  auto contexts = Contexts::build(config_, false);
  ASSERT_TRUE(contexts);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_SESSION* session = nullptr;
    bool reused = true;
    ASSERT_EQ(handshake(**contexts, nullptr, version, &session, &reused), "a.example");
    EXPECT_FALSE(reused);
    ASSERT_NE(session, nullptr);
    ASSERT_EQ(handshake(**contexts, nullptr, version, &session, &reused), "a.example");
    EXPECT_TRUE(reused) << version;
    SSL_SESSION_free(session);
  }
}

TEST_F(TlsTest, TicketKeysRotate) {
  // A key encrypts for one period, then only decrypts for one more; a ticket
  // older than two periods gets a full handshake.
  config_.server.tls.ticket_key_rotation = std::chrono::seconds(1);
  auto contexts = Contexts::build(config_, false);
  ASSERT_TRUE(contexts);
  SSL_SESSION* first = nullptr;
  bool reused = true;
  ASSERT_EQ(handshake(**contexts, nullptr, TLS1_2_VERSION, &first, &reused), "a.example");
  EXPECT_FALSE(reused);
  ::usleep(1'200'000);  // the key rotates: the first ticket's key now only decrypts
  SSL_SESSION* second = first;
  SSL_SESSION_up_ref(first);
  ASSERT_EQ(handshake(**contexts, nullptr, TLS1_2_VERSION, &second, &reused), "a.example");
  EXPECT_TRUE(reused);
  SSL_SESSION_free(second);
  ::usleep(2'100'000);  // two periods later: the first ticket's key is gone
  ASSERT_EQ(handshake(**contexts, nullptr, TLS1_2_VERSION, &first, &reused), "a.example");
  EXPECT_FALSE(reused);
  SSL_SESSION_free(first);
}

TEST_F(TlsTest, UnprotectedKeyIsRefused) {
  ::chmod((dir_ / "a.example.key").c_str(), 0640);
  auto contexts = Contexts::build(config_, false);
  ASSERT_FALSE(contexts);
  EXPECT_NE(contexts.error().message().find("accessible by group or others"), std::string::npos);
}

TEST_F(TlsTest, MadeKeyIsPrivate) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "a.example.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace gatehouse::tls

// The https settings: bindings with certificates, [server.tls], [sites.tls],
// and the private key refused when others can read it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

std::string site(std::string_view bindings, std::string_view extra = "") {
  return "[[pools]]\nname = \"p\"\n[[sites]]\nname = \"s\"\nbindings = " + std::string{bindings} +
         "\nphysical_path = \"/srv/s\"\npool = \"p\"\n" + std::string{extra};
}

TEST(Tls, SiteCertificateServesEveryHttpsBinding) {
  const Config c = load_string(site(R"(["https://*:443:a.example", "http://*:80:a.example"])",
                                    "[sites.tls]\ncertificate = \"/c.pem\"\nkey = \"/k.pem\"\nhsts = \"8760h\"\n"
                                    "redirect_to_https = true\n"),
                               "t.toml", {.check_paths = false});
  const Site& s = c.sites[0];
  ASSERT_EQ(s.bindings.size(), 2u);
  EXPECT_TRUE(s.bindings[0].https());
  EXPECT_EQ(s.certificate_of(s.bindings[0]), Path{"/c.pem"});
  EXPECT_EQ(s.key_of(s.bindings[0]), Path{"/k.pem"});
  EXPECT_EQ(s.tls.hsts, Seconds{365 * 86400});
  EXPECT_TRUE(s.tls.redirect_to_https);
  EXPECT_EQ(c.server.tls.min_version, "1.2");
}

TEST(Tls, SummaryShowsTheSettings) {
  const Config c = load_string(site(R"(["https://*:443:a.example", "http://*:80:a.example"])",
                                    "[sites.tls]\ncertificate = \"/c.pem\"\nkey = \"/k.pem\"\nhsts = \"1h\"\n"
                                    "redirect_to_https = true\n"),
                               "t.toml", {.check_paths = false});
  const std::string text = summary(c);
  EXPECT_NE(text.find("tls: TLS 1.2+, ciphers ECDHE-ECDSA-AES128-GCM-SHA256:"), std::string::npos) << text;
  EXPECT_NE(text.find("ticket keys rotate every 3600s, OCSP stapling off\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  binding https://*:443:a.example\n    certificate /c.pem, key /k.pem\n"
                      "  binding http://*:80:a.example\n  hsts max-age=3600\n  http requests redirect to https\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(summary(load_string(site(R"(["http://*:80:*"])"), "t.toml", {.check_paths = false})).find("tls:"),
            std::string::npos);
}

TEST(Tls, BindingTableHasItsOwnCertificate) {
  const Config c = load_string(
      site(R"(["https://*:443:*", { url = "https://*:443:b.example", certificate = "/b.pem", key = "/b.key" }])",
           "[sites.tls]\ncertificate = \"/c.pem\"\nkey = \"/k.pem\"\n"),
      "t.toml", {.check_paths = false});
  const Site& s = c.sites[0];
  ASSERT_EQ(s.bindings.size(), 2u);
  EXPECT_EQ(s.bindings[1].host, "b.example");
  EXPECT_EQ(s.certificate_of(s.bindings[1]), Path{"/b.pem"});
  EXPECT_EQ(s.certificate_of(s.bindings[0]), Path{"/c.pem"});
}

TEST(Tls, Problems) {
  EXPECT_EQ(problems_of(site(R"(["https://*:443:*"])")),
            Lines{"t.toml:5:13: key 'sites[0].bindings[0]': the https binding \"https://*:443:*\" needs a "
                  "certificate and a key: set certificate and key in [sites.tls], or write the binding as { url = "
                  "\"https://*:443:*\", certificate = \"...\", key = \"...\" }"});
  EXPECT_EQ(problems_of(site(R"(["http://*:80:*", { url = "https://*:80:x", certificate = "/c", key = "/k" }])")),
            Lines{"t.toml:5:30: key 'sites[0].bindings[1]': port 80 is http for sites[0].bindings[0] at t.toml:5:13: "
                  "one port cannot serve both http and https"});
  EXPECT_EQ(problems_of(site(R"([{ url = "http://*:80:*", key = "/k" }, { certificate = "/c" }])")),
            (Lines{"t.toml:5:44: key 'sites[0].bindings[0].key': a certificate or key belongs to an https "
                   "binding, not \"http://*:80:*\"",
                   "t.toml:5:52: key 'sites[0].bindings[1].url': missing key 'url' (like \"https://*:443:*\")"}));
  EXPECT_EQ(problems_of(site(R"(["http://*:80:*"])", "[sites.tls]\nredirect_to_https = true\n")),
            Lines{"t.toml:9:21: key 'sites[0].tls.redirect_to_https': redirect_to_https needs an https binding on "
                  "the site"});
  EXPECT_EQ(problems_of("[server.tls]\nmin_version = \"1.1\"\nciphers = \"A B\"\nticket_key_rotation = \"5s\"\n"),
            (Lines{"t.toml:2:15: key 'server.tls.min_version': expected \"1.2\" or \"1.3\" (TLS 1.0 and 1.1 are "
                   "never offered), got \"1.1\"",
                   "t.toml:3:11: key 'server.tls.ciphers': expected an OpenSSL cipher list without spaces "
                   "(\"A:B:C\"), got \"A B\"",
                   "t.toml:4:23: key 'server.tls.ticket_key_rotation': expected a duration of at least 60s, got "
                   "\"5s\""}));
}

TEST(Tls, KeyReadableByOthersIsRefused) {
  testing::TempRoot root;
  const std::string r = root.str();
  root.mkdir("www");
  root.write("c.pem", "x");
  auto key = root.write("k.pem", "x");
  ::chmod(key.c_str(), 0644);
  const std::string text =
      "[[pools]]\nname = \"p\"\nphp_cgi = \"/bin/sh\"\n[[sites]]\nname = \"s\"\n"
      "bindings = [\"https://*:443:*\"]\nphysical_path = \"" +
      r +
      "/www\"\npool = \"p\"\n"
      "[sites.tls]\ncertificate = \"" +
      r + "/c.pem\"\nkey = \"" + r + "/k.pem\"\n";
  EXPECT_EQ(problems_of(text, {}),
            Lines{"t.toml:11:7: key 'sites[0].tls.key': the private key \"" + r +
                  "/k.pem\" is accessible by group or others (mode 0644): refused, as OpenSSH refuses an "
                  "unprotected key; run chmod 600 " +
                  r + "/k.pem"});
  ::chmod(key.c_str(), 0600);
  EXPECT_EQ(problems_of(text, {}), Lines{"loaded"});
  ::chmod(key.c_str(), 0640);
  EXPECT_EQ(problems_of(text, {}).size(), 1u);
}

}  // namespace
}  // namespace gatehouse::config

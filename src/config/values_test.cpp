// Tests of the scalar syntaxes: durations, bindings, umasks, URL paths, identities.
#include "config/values.hpp"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

TEST(Duration, UnitsGiveSeconds) {
  EXPECT_EQ(parse_duration("90s").value(), Seconds{90});
  EXPECT_EQ(parse_duration("5m").value(), Seconds{300});
  EXPECT_EQ(parse_duration("1h").value(), Seconds{3600});
  EXPECT_EQ(parse_duration("2000ms").value(), Seconds{2});
  EXPECT_EQ(parse_duration("0s").value(), Seconds{0});
}

TEST(Duration, SubSecondAndMalformedAreRejected) {
  EXPECT_EQ(parse_duration("500ms").error(),
            "expected a whole number of seconds (timeouts have a one-second resolution), got \"500ms\"");
  const std::string hint = "expected a duration with a unit (\"90s\", \"5m\", \"1h\", \"2000ms\"), got ";
  EXPECT_EQ(parse_duration("90").error(), hint + "\"90\"");
  EXPECT_EQ(parse_duration("s").error(), hint + "\"s\"");
  EXPECT_EQ(parse_duration("1.5s").error(), hint + "\"1.5s\"");
  EXPECT_EQ(parse_duration("-1s").error(), hint + "\"-1s\"");
  EXPECT_EQ(parse_duration("10 s").error(), hint + "\"10 s\"");
  EXPECT_EQ(parse_duration("99999999999h").error(), "expected a duration of at most 100 years, got \"99999999999h\"");
}

TEST(Binding, ParsesIpPortHost) {
  const Binding b = parse_binding("http://127.0.0.1:8081:Shop.Localhost").value();
  EXPECT_EQ(b.scheme, "http");
  EXPECT_EQ(b.ip, "127.0.0.1");
  EXPECT_EQ(b.port, 8081);
  EXPECT_EQ(b.host, "shop.localhost");  // Host headers compare case-insensitively
  EXPECT_EQ(b.text, "http://127.0.0.1:8081:Shop.Localhost");
  const Binding any = parse_binding("http://*:80:*").value();
  EXPECT_EQ(any.ip, "*");
  EXPECT_EQ(any.port, 80);
  EXPECT_EQ(any.host, "*");
}

TEST(Binding, Ipv6InBracketsIsCanonical) {
  const Binding b = parse_binding("http://[::1]:8080:*").value();
  EXPECT_EQ(b.ip, "::1");
  EXPECT_EQ(b.port, 8080);
  EXPECT_EQ(parse_binding("http://[0:0:0:0:0:0:0:1]:8080:*").value().ip, "::1");
}

TEST(Binding, ParsesHttps) {
  const Binding b = parse_binding("https://[::1]:8443:Shop.Example").value();
  EXPECT_EQ(b.scheme, "https");
  EXPECT_TRUE(b.https());
  EXPECT_EQ(b.ip, "::1");
  EXPECT_EQ(b.port, 8443);
  EXPECT_EQ(b.host, "shop.example");
}

TEST(Binding, RejectsWhatIsNotABinding) {
  EXPECT_EQ(parse_binding("ftp://*:21:*").error(), "expected scheme \"http\" or \"https\", got \"ftp://*:21:*\"");
  EXPECT_EQ(parse_binding("HTTPS://*:443:*").error(), "expected scheme \"http\" or \"https\", got \"HTTPS://*:443:*\"");
  EXPECT_EQ(parse_binding("127.0.0.1:80").error(),
            "expected \"http://IP:PORT:HOST\" or \"https://IP:PORT:HOST\" (\"*\" for any IP or host), got "
            "\"127.0.0.1:80\"");
  EXPECT_EQ(parse_binding("http://*:80").error(),
            "expected \"http://IP:PORT:HOST\" or \"https://IP:PORT:HOST\" (\"*\" for any IP or host), got "
            "\"http://*:80\"");
  EXPECT_EQ(parse_binding("http://*:0:*").error(), "expected a port from 1 to 65535, got \"0\"");
  EXPECT_EQ(parse_binding("http://*:65536:*").error(), "expected a port from 1 to 65535, got \"65536\"");
  EXPECT_EQ(parse_binding("http://*:x:*").error(), "expected a port from 1 to 65535, got \"x\"");
  EXPECT_EQ(parse_binding("http://300.1.1.1:80:*").error(),
            "expected \"*\", an IPv4 address or a bracketed IPv6 address, got \"300.1.1.1\"");
  EXPECT_EQ(parse_binding("http://[::g]:80:*").error(),
            "expected \"*\", an IPv4 address or a bracketed IPv6 address, got \"[::g]\"");
  EXPECT_EQ(parse_binding("http://*:80:").error(), "expected a host name or \"*\" after the port, got \"\"");
  EXPECT_EQ(parse_binding("http://*:80:a_b").error(), "expected a host name or \"*\" after the port, got \"a_b\"");
  EXPECT_EQ(parse_binding("http://*:80:a..b").error(), "expected a host name or \"*\" after the port, got \"a..b\"");
}

TEST(Umask, OctalStrings) {
  EXPECT_EQ(parse_umask("007").value(), 07u);
  EXPECT_EQ(parse_umask("0027").value(), 027u);
  EXPECT_EQ(parse_umask("777").value(), 0777u);
  EXPECT_EQ(parse_umask("008").error(), "expected an octal umask from \"000\" to \"777\", got \"008\"");
  EXPECT_EQ(parse_umask("1000").error(), "expected an octal umask from \"000\" to \"777\", got \"1000\"");
  EXPECT_EQ(parse_umask("").error(), "expected an octal umask from \"000\" to \"777\", got \"\"");
}

TEST(StderrMode, TheFourNames) {
  for (auto name : {"ReturnStdErrIn500", "ReturnGeneric500", "IgnoreAndReturn200", "TerminateProcess"})
    EXPECT_EQ(to_string(parse_stderr_mode(name).value()), name);
  EXPECT_EQ(parse_stderr_mode("returnstderrin500").error(),
            "expected one of ReturnStdErrIn500, ReturnGeneric500, IgnoreAndReturn200, TerminateProcess, got "
            "\"returnstderrin500\"");
}

TEST(UrlPath, AcceptsPlainPrefixes) {
  EXPECT_EQ(parse_url_path("/blog").value(), "/blog");
  EXPECT_EQ(parse_url_path("/a/b-c_d.e").value(), "/a/b-c_d.e");
}

TEST(UrlPath, RejectsAmbiguousPaths) {
  EXPECT_EQ(parse_url_path("blog").error(), "expected a URL path like \"/blog\" (starting with '/'), got \"blog\"");
  EXPECT_EQ(parse_url_path("/").error(),
            "expected a URL path like \"/blog\" (not \"/\", which is the site itself), got \"/\"");
  EXPECT_EQ(parse_url_path("/blog/").error(), "expected a URL path like \"/blog\" (no trailing '/'), got \"/blog/\"");
  const std::string segments = "expected a URL path like \"/blog\" (no empty, \".\" or \"..\" segment), got ";
  EXPECT_EQ(parse_url_path("/a/../b").error(), segments + "\"/a/../b\"");
  EXPECT_EQ(parse_url_path("/a//b").error(), segments + "\"/a//b\"");
  EXPECT_EQ(parse_url_path("/./b").error(), segments + "\"/./b\"");
  const std::string chars =
      "expected a URL path like \"/blog\" (no backslash, '%', '?', '#' or control character), got ";
  EXPECT_EQ(parse_url_path("/a%2fb").error(), chars + "\"/a%2fb\"");
  EXPECT_EQ(parse_url_path("/a\\b").error(), chars + "\"/a\\b\"");
}

TEST(Identity, PoolIdentityOrAccountName) {
  EXPECT_EQ(parse_identity("ApplicationPoolIdentity").value(), "ApplicationPoolIdentity");
  EXPECT_EQ(parse_identity("www-data").value(), "www-data");
  EXPECT_EQ(
      parse_identity("Root").error(),
      "expected \"ApplicationPoolIdentity\" or a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got \"Root\"");
  EXPECT_FALSE(is_account_name(std::string(33, 'a')));
  EXPECT_TRUE(is_account_name(std::string(32, 'a')));
}

}  // namespace
}  // namespace gatehouse::config

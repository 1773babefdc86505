// CGI/1.1 parameters as PHP will see them, and the requests that are refused.
#include "fastcgi/params.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace gatehouse::fastcgi {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

RequestMeta sample() {
  RequestMeta m;
  m.method = "POST";
  m.script_filename = "/srv/site/a/b.php";
  m.script_name = "/a/b.php";
  m.path_info = "/x/y";
  m.document_root = "/srv/site";
  m.request_uri = "/a/b.php/x/y?q=1";
  m.query_string = "q=1";
  m.content_type = "application/x-www-form-urlencoded";
  m.content_length = 11;
  m.remote_addr = "127.0.0.1";
  m.remote_port = 40000;
  m.server_addr = "127.0.0.2";
  m.server_port = 8080;
  m.server_name = "shop.example";
  m.headers = {{"Host", "shop.example"},
               {"User-Agent", "curl/7.88"},
               {"Content-Type", "ignored"},
               {"Content-Length", "11"},
               {"X-Forwarded-For", "10.0.0.1"}};
  return m;
}

std::multimap<std::string, std::string> as_map(const std::vector<NameValue>& v) {
  std::multimap<std::string, std::string> m;
  for (const auto& nv : v) m.emplace(nv.name, nv.value);
  return m;
}

TEST(Params, Cgi11Variables) {
  auto params = build_params(sample());
  ASSERT_TRUE(params) << params.error().message();
  const auto m = as_map(*params);
  const std::map<std::string, std::string> expected = {
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"SERVER_SOFTWARE", "Gatehouse"},
      {"REQUEST_METHOD", "POST"},
      {"SCRIPT_FILENAME", "/srv/site/a/b.php"},
      {"SCRIPT_NAME", "/a/b.php"},
      {"PATH_INFO", "/x/y"},
      {"PATH_TRANSLATED", "/srv/site/a/b.php"},  // never DOCUMENT_ROOT + PATH_INFO: see params.cpp
      {"DOCUMENT_ROOT", "/srv/site"},
      {"REQUEST_URI", "/a/b.php/x/y?q=1"},
      {"QUERY_STRING", "q=1"},
      {"CONTENT_TYPE", "application/x-www-form-urlencoded"},
      {"CONTENT_LENGTH", "11"},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"REMOTE_PORT", "40000"},
      {"SERVER_ADDR", "127.0.0.2"},
      {"SERVER_PORT", "8080"},
      {"SERVER_NAME", "shop.example"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"REDIRECT_STATUS", "200"},
      {"HTTP_HOST", "shop.example"},
      {"HTTP_USER_AGENT", "curl/7.88"},
      {"HTTP_X_FORWARDED_FOR", "10.0.0.1"},
  };
  for (const auto& [name, value] : expected) {
    EXPECT_EQ(m.count(name), 1u) << name;
    EXPECT_THAT(m, Contains(Pair(name, value)));
  }
  EXPECT_THAT(m, Not(Contains(Key("HTTP_CONTENT_TYPE"))));
  EXPECT_THAT(m, Not(Contains(Key("HTTP_CONTENT_LENGTH"))));
  EXPECT_THAT(m, Not(Contains(Key("HTTPS"))));
  EXPECT_THAT(m, Contains(Pair("REMOTE_USER", "")));  // anonymous: present and empty, as IIS and nginx send it
}

TEST(Params, NoPathTranslatedWithoutPathInfo) {
  RequestMeta m = sample();
  m.path_info.clear();
  const auto params = as_map(*build_params(m));
  EXPECT_THAT(params, Contains(Pair("PATH_INFO", "")));
  EXPECT_THAT(params, Not(Contains(Key("PATH_TRANSLATED"))));
}

TEST(Params, HttpsAndAuthenticatedUser) {
  RequestMeta m = sample();
  m.https = true;
  m.remote_user = "alice";
  m.auth_type = "Basic";
  m.headers.push_back({"Authorization", "Basic YWxpY2U6c2VjcmV0"});
  const auto params = as_map(*build_params(m));
  EXPECT_THAT(params, Contains(Pair("HTTPS", "on")));
  EXPECT_THAT(params, Contains(Pair("REMOTE_USER", "alice")));
  EXPECT_THAT(params, Contains(Pair("AUTH_TYPE", "Basic")));
  // The server checked the password: PHP does not get to see it.
  EXPECT_THAT(params, Not(Contains(Key("HTTP_AUTHORIZATION"))));
}

TEST(Params, AuthorizationPassesWhenTheServerDidNotAuthenticate) {
  RequestMeta m = sample();
  m.headers.push_back({"Authorization", "Bearer t"});
  EXPECT_THAT(as_map(*build_params(m)), Contains(Pair("HTTP_AUTHORIZATION", "Bearer t")));
}

TEST(Params, ProxyHeaderNeverBecomesHttpProxy) {
  RequestMeta m = sample();
  m.headers.push_back({"Proxy", "http://evil.example:3128"});
  m.headers.push_back({"pRoXy", "http://evil.example:3128"});
  auto params = build_params(m);
  ASSERT_TRUE(params) << params.error().message();
  EXPECT_THAT(as_map(*params), Not(Contains(Key("HTTP_PROXY"))));
}

TEST(Params, CollidingHeaderNamesAreRefused) {
  RequestMeta m = sample();
  m.headers.push_back({"X-Foo", "1"});
  m.headers.push_back({"X_Foo", "2"});
  auto params = build_params(m);
  ASSERT_FALSE(params);
  EXPECT_THAT(params.error().message(), HasSubstr("HTTP_X_FOO"));
}

TEST(Params, ACollisionWithADroppedHeaderIsRefusedToo) {
  RequestMeta m = sample();
  m.headers.push_back({"Content_Type", "text/evil"});
  EXPECT_FALSE(build_params(m));
}

TEST(Params, SameHeaderInOtherCaseIsJoined) {
  RequestMeta m = sample();
  m.headers.push_back({"Accept", "text/html"});
  m.headers.push_back({"accept", "text/plain"});
  m.headers.push_back({"Cookie", "a=1"});
  m.headers.push_back({"Cookie", "b=2"});
  const auto params = as_map(*build_params(m));
  EXPECT_THAT(params, Contains(Pair("HTTP_ACCEPT", "text/html, text/plain")));
  EXPECT_THAT(params, Contains(Pair("HTTP_COOKIE", "a=1; b=2")));
  EXPECT_EQ(params.count("HTTP_ACCEPT"), 1u);
}

TEST(Params, ControlCharactersInHeadersAreRefused) {
  for (const std::string& bad : {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
    RequestMeta m = sample();
    m.headers.push_back({"X-Bad", bad});
    EXPECT_FALSE(build_params(m));
  }
  RequestMeta m = sample();
  m.headers.push_back({"X Bad", "1"});
  EXPECT_FALSE(build_params(m));
  m = sample();
  m.headers.push_back({"", "1"});
  EXPECT_FALSE(build_params(m));
}

TEST(Params, NulInAPathIsRefused) {
  RequestMeta m = sample();
  m.script_filename = std::string("/srv/a.php\0.jpg", 15);
  EXPECT_FALSE(build_params(m));
}

TEST(Params, NoContentLengthWhenThereIsNone) {
  RequestMeta m = sample();
  m.content_length.reset();
  m.content_type.clear();
  const auto params = as_map(*build_params(m));
  EXPECT_THAT(params, Not(Contains(Key("CONTENT_LENGTH"))));
  EXPECT_THAT(params, Not(Contains(Key("CONTENT_TYPE"))));
}

}  // namespace
}  // namespace gatehouse::fastcgi

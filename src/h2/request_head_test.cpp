// HeadBuilder: pseudo-header fields, joined cookies, the Host rule, and the
// limits (header list size against HPACK bombs, URL lengths).
#include "h2/request_head.hpp"

#include <gtest/gtest.h>

namespace gatehouse::h2 {
namespace {

handlers::Request build(const std::vector<std::pair<std::string, std::string>>& fields, config::Limits limits = {}) {
  handlers::Request r;
  HeadBuilder b(r, limits);
  for (const auto& [n, v] : fields) b.add(n, v);
  b.finish();
  return r;
}

std::vector<std::string> values_of(const handlers::Request& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& f : r.fields)
    if (r.field_name(f) == name) out.emplace_back(r.field_value(f));
  return out;
}

TEST(HeadBuilder, PseudoFieldsBecomeTheRequest) {
  auto r = build({{":method", "POST"},
                  {":scheme", "https"},
                  {":authority", "a.example:8443"},
                  {":path", "/x/y.php?a=1"},
                  {"user-agent", "t"},
                  {"range", "bytes=0-1"}});
  EXPECT_EQ(r.method, boost::beast::http::verb::post);
  EXPECT_EQ(r.method_text, "POST");
  EXPECT_EQ(r.path(), "/x/y.php");
  EXPECT_EQ(r.query(), "a=1");
  EXPECT_EQ(r.host, "a.example:8443");
  EXPECT_EQ(r.version, 20u);
  EXPECT_EQ(r.user_agent, "t");
  EXPECT_EQ(r.range, "bytes=0-1");
  EXPECT_EQ(values_of(r, "host"), std::vector<std::string>{"a.example:8443"});  // PHP's HTTP_HOST
  EXPECT_EQ(r.reject_status, 0u);
}

TEST(HeadBuilder, AuthorityWinsOverHost) {
  auto r = build({{":method", "GET"}, {":path", "/"}, {":authority", "a.example"}, {"host", "evil.example"}});
  EXPECT_EQ(r.host, "a.example");
  EXPECT_EQ(values_of(r, "host"), std::vector<std::string>{"a.example"});
  auto only_host = build({{":method", "GET"}, {":path", "/"}, {"host", "b.example"}});
  EXPECT_EQ(only_host.host, "b.example");
}

TEST(HeadBuilder, HostInAnyCaseGivesWayToAuthority) {
  // Found by h2.fuzz: "hoSt" was stored beside the authority and, being the
  // last Host field, became the host routing and PHP saw. nghttp2 refuses
  // upper-case names, so only a field from elsewhere could carry it; the rule
  // holds on its own now.
  auto r = build({{":method", "GET"}, {":path", "/"}, {":authority", "a.example"}, {"hoSt", "evil.example"}});
  EXPECT_EQ(r.host, "a.example");
  EXPECT_EQ(r.fields.size(), 1u);
  auto cookies = build({{":method", "GET"}, {":path", "/"}, {"cookie", "a=1"}, {"Cookie", "b=2"}});
  EXPECT_EQ(values_of(cookies, "cookie"), std::vector<std::string>{"a=1; b=2"});
}

TEST(HeadBuilder, CookiesAreJoined) {
  auto r = build({{":method", "GET"}, {":path", "/"}, {"cookie", "a=1"}, {"cookie", "b=2"}});
  EXPECT_EQ(values_of(r, "cookie"), std::vector<std::string>{"a=1; b=2"});
}

TEST(HeadBuilder, HeaderListOverTheLimitIs431AndStopsStoring) {
  config::Limits limits;
  limits.max_request_headers = 1000;
  std::vector<std::pair<std::string, std::string>> fields{{":method", "GET"}, {":path", "/"}};
  for (int i = 0; i < 1000; ++i) fields.emplace_back("x-bomb", std::string(100, 'v'));  // 100 KiB decoded
  auto r = build(fields, limits);
  EXPECT_EQ(r.reject_status, 431u);
  EXPECT_LT(r.arena.size(), 1000u);  // what an HPACK bomb expands to is never kept
}

TEST(HeadBuilder, LongUrlAndMissingPseudoFields) {
  config::Limits limits;
  limits.max_url_length = 10;
  EXPECT_EQ(build({{":method", "GET"}, {":path", "/0123456789a"}}, limits).reject_status, 414u);
  EXPECT_EQ(build({{":method", "GET"}, {":path", "/0123456789a"}}, limits).reject_substatus, 14u);
  EXPECT_EQ(build({{":method", "GET"}}).reject_status, 400u);
}

TEST(HeadBuilder, ContentLengthIsRead) {
  handlers::Request r;
  config::Limits limits;
  HeadBuilder b(r, limits);
  b.add(":method", "POST");
  b.add(":path", "/");
  b.add("content-length", "12");
  b.finish();
  EXPECT_EQ(b.content_length(), std::optional<std::uint64_t>(12));
}

}  // namespace
}  // namespace gatehouse::h2

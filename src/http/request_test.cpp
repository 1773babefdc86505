// RequestParser: fields of a chunked trailer are counted but never become
// headers (they arrive after the head's views are taken).
#include "http/request.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <string>

namespace gatehouse::http {
namespace {

struct Collect : BodySink {
  std::string body;
  void on_body(std::string_view chunk) override { body.append(chunk); }
};

// Feeds `wire` to a parser as the session does; returns the request.
handlers::Request parse(const std::string& wire, config::Limits limits = {}) {
  handlers::Request req;
  RequestParser parser(req, limits);
  Collect sink;
  parser.set_sink(&sink);
  parser.eager(true);
  boost::beast::error_code ec;
  std::string_view rest = wire;
  while (!rest.empty() && !parser.is_done()) {
    auto used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec) break;
    rest.remove_prefix(used);
  }
  return req;
}

TEST(RequestTrailer, TrailerFieldsAreNotHeadersAndTheHeadStaysIntact) {
  std::string trailer;
  for (int i = 0; i < 50; ++i) trailer += "X-Trailer-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  auto req = parse(
      "POST /up.php HTTP/1.1\r\nHost: a.example\r\nRange: bytes=0-1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nHost: evil.example\r\n" +
      trailer + "\r\n");
  EXPECT_EQ(req.host, "a.example");
  EXPECT_EQ(req.range, "bytes=0-1");
  ASSERT_EQ(req.fields.size(), 3u);  // Host, Range, Transfer-Encoding: none of the trailer
  for (const auto& f : req.fields) EXPECT_NE(req.field_value(f), "evil.example");
}

TEST(RequestTrailer, TrailerCountsAgainstTheHeaderLimit) {
  config::Limits limits;
  limits.max_request_headers = 200;
  auto req =
      parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Big: " + std::string(300, 'x') +
                "\r\n\r\n",
            limits);
  EXPECT_EQ(req.reject_status, 431u);
}

}  // namespace
}  // namespace gatehouse::http

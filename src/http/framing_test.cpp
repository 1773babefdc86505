// The HTTP/1.1 framing rules and head bytes, byte for byte.
#include "http/framing.hpp"

#include <gtest/gtest.h>

#include "http/response.hpp"

namespace gatehouse::http {
namespace {

TEST(Framing, FollowsStatusMethodVersionAndLength) {
  EXPECT_EQ(choose_framing(200, false, 11, 0), Framing::Length);
  EXPECT_EQ(choose_framing(200, false, 11, std::nullopt), Framing::Chunked);
  EXPECT_EQ(choose_framing(200, false, 10, std::nullopt), Framing::Close);
  EXPECT_EQ(choose_framing(200, false, 10, 5), Framing::Length);
  EXPECT_EQ(choose_framing(204, false, 11, 0), Framing::None);
  EXPECT_EQ(choose_framing(304, false, 11, 10), Framing::None);
  EXPECT_EQ(choose_framing(200, true, 11, std::nullopt), Framing::None);
  EXPECT_EQ(choose_framing(200, true, 11, 42), Framing::Length);
}

TEST(Head, FieldsThenFramingThenConnection) {
  handlers::HeaderView fields[] = {{"Content-Type", "text/html"}, {"Set-Cookie", "a=1"}};
  handlers::ResponseHead head{302, {}, fields, 5};
  std::string out;
  append_head(out, head, {"Sat, 28 Nov 2026 08:00:00 GMT", Framing::Length, true, 11});
  EXPECT_EQ(out,
            "HTTP/1.1 302 Found\r\nServer: Gatehouse\r\nDate: Sat, 28 Nov 2026 08:00:00 GMT\r\n"
            "Content-Type: text/html\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\n\r\n");
}

TEST(Head, ReasonChunkedCloseAndKeepAliveForHttp10) {
  handlers::ResponseHead head{299, "Custom", {}, std::nullopt};
  std::string out;
  append_head(out, head, {"D", Framing::Chunked, true, 11});
  EXPECT_EQ(out, "HTTP/1.1 299 Custom\r\nServer: Gatehouse\r\nDate: D\r\nTransfer-Encoding: chunked\r\n\r\n");
  out.clear();
  head.reason = {};
  append_head(out, head, {"D", Framing::Close, true, 10});
  EXPECT_EQ(out, "HTTP/1.1 299 Unknown\r\nServer: Gatehouse\r\nDate: D\r\nConnection: close\r\n\r\n");
  out.clear();
  head.status = 200;
  head.length = 0;
  append_head(out, head, {"D", Framing::Length, true, 10});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: Gatehouse\r\nDate: D\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Chunks, SizeInHexAndNothingForEmpty) {
  std::string out;
  append_chunk(out, "");
  EXPECT_EQ(out, "");
  append_chunk(out, std::string(26, 'a'));
  EXPECT_EQ(out, "1a\r\n" + std::string(26, 'a') + "\r\n");
}

TEST(Reason, BeastPhrasesAndUnknown) {
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

}  // namespace
}  // namespace gatehouse::http

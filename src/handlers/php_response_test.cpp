// Script lookup in URL paths and the HTTP head built from PHP's CGI head.
#include "handlers/php_response.hpp"

#include <gtest/gtest.h>

namespace gatehouse::handlers {
namespace {

const std::vector<std::string> kPhp{".php"};

TEST(ScriptCandidates, EverySegmentEndingInTheExtensionInOrder) {
  EXPECT_EQ(script_candidates("/a/b.php/x/y", kPhp), (std::vector<std::size_t>{8}));
  EXPECT_EQ(script_candidates("/a.php/b.PHP", kPhp), (std::vector<std::size_t>{6, 12}));
  EXPECT_EQ(script_candidates("/index.php", kPhp), (std::vector<std::size_t>{10}));
}

TEST(ScriptCandidates, UploadsAreNeverCandidates) {
  // x.jpg is no candidate, so /uploads/x.jpg/y.php can only run y.php (which does not exist).
  EXPECT_EQ(script_candidates("/uploads/x.jpg/y.php", kPhp), (std::vector<std::size_t>{20}));
  EXPECT_TRUE(script_candidates("/uploads/x.jpg", kPhp).empty());
  EXPECT_TRUE(script_candidates("/.php/x", kPhp).empty());  // a bare extension names no file
  EXPECT_TRUE(script_candidates("/a.phps", kPhp).empty());
}

TEST(Framing, FollowsStatusMethodVersionAndLength) {
  EXPECT_EQ(choose_framing(200, false, 11, true, std::nullopt), Framing::Length);
  EXPECT_EQ(choose_framing(200, false, 11, false, std::nullopt), Framing::Chunked);
  EXPECT_EQ(choose_framing(200, false, 10, false, std::nullopt), Framing::Close);
  EXPECT_EQ(choose_framing(200, false, 10, false, 5), Framing::Length);
  EXPECT_EQ(choose_framing(204, false, 11, true, std::nullopt), Framing::None);
  EXPECT_EQ(choose_framing(304, false, 11, false, 10), Framing::None);
  EXPECT_EQ(choose_framing(200, true, 11, true, std::nullopt), Framing::None);
  EXPECT_EQ(choose_framing(200, true, 11, true, 42), Framing::Length);
}

TEST(PhpHead, KeepsCookiesApartAndReplacesServerOwnedHeaders) {
  fastcgi::CgiHead head;
  head.status = 302;
  head.location = "/next";
  head.set_cookies = {"a=1", "b=2"};
  head.headers = {{"Content-Type", "text/html"}, {"Content-Length", "99"}, {"Connection", "close"},
                  {"Transfer-Encoding", "chunked"}, {"X-Custom", "v"}};
  std::string out;
  append_php_head(out, head, {"Sat, 28 Nov 2026 08:00:00 GMT", Framing::Length, 5, true, 11});
  EXPECT_EQ(out,
            "HTTP/1.1 302 Found\r\nServer: Gatehouse\r\nDate: Sat, 28 Nov 2026 08:00:00 GMT\r\n"
            "Content-Type: text/html\r\nX-Custom: v\r\nLocation: /next\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
            "Content-Length: 5\r\n\r\n");
}

TEST(PhpHead, ReasonFromPhpChunkedAndConnectionHeaders) {
  fastcgi::CgiHead head;
  head.status = 299;
  head.reason = "Custom";
  std::string out;
  append_php_head(out, head, {"D", Framing::Chunked, 0, true, 11});
  EXPECT_EQ(out, "HTTP/1.1 299 Custom\r\nServer: Gatehouse\r\nDate: D\r\nTransfer-Encoding: chunked\r\n\r\n");
  out.clear();
  head.reason.clear();
  append_php_head(out, head, {"D", Framing::Close, 0, true, 10});
  EXPECT_EQ(out, "HTTP/1.1 299 Unknown\r\nServer: Gatehouse\r\nDate: D\r\nConnection: close\r\n\r\n");
  out.clear();
  head.status = 200;
  append_php_head(out, head, {"D", Framing::Length, 0, true, 10});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: Gatehouse\r\nDate: D\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(PhpHead, PhpContentLengthOnlyWhenNumeric) {
  fastcgi::CgiHead head;
  EXPECT_EQ(php_content_length(head), std::nullopt);
  head.headers = {{"content-length", "12"}};
  EXPECT_EQ(php_content_length(head), 12u);
  head.headers = {{"Content-Length", "12x"}};
  EXPECT_EQ(php_content_length(head), std::nullopt);
}

TEST(Chunks, SizeInHexAndNothingForEmpty) {
  std::string out;
  append_chunk(out, "");
  EXPECT_EQ(out, "");
  append_chunk(out, std::string(26, 'a'));
  EXPECT_EQ(out, "1a\r\n" + std::string(26, 'a') + "\r\n");
}

TEST(HtmlEscape, StderrCannotInjectMarkup) {
  EXPECT_EQ(html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
}

}  // namespace
}  // namespace gatehouse::handlers

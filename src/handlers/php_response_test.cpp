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

TEST(PhpHead, KeepsCookiesApartAndDropsServerOwnedFields) {
  fastcgi::CgiHead head;
  head.status = 302;
  head.location = "/next";
  head.set_cookies = {"a=1", "b=2"};
  head.headers = {{"Content-Type", "text/html"},
                  {"Content-Length", "99"},
                  {"Connection", "close"},
                  {"Transfer-Encoding", "chunked"},
                  {"X-Custom", "v"},
                  {"Server", "x"},
                  {"Status", "200"}};
  std::vector<HeaderView> fields;
  php_head_fields(head, fields);
  std::string text;
  for (const auto& f : fields) text.append(f.name).append(": ").append(f.value).append("\n");
  EXPECT_EQ(text, "Content-Type: text/html\nX-Custom: v\nLocation: /next\nSet-Cookie: a=1\nSet-Cookie: b=2\n");
}

TEST(PhpHead, PhpContentLengthOnlyWhenNumeric) {
  fastcgi::CgiHead head;
  EXPECT_EQ(php_content_length(head), std::nullopt);
  head.headers = {{"content-length", "12"}};
  EXPECT_EQ(php_content_length(head), 12u);
  head.headers = {{"Content-Length", "12x"}};
  EXPECT_EQ(php_content_length(head), std::nullopt);
}

TEST(HtmlEscape, StderrCannotInjectMarkup) {
  EXPECT_EQ(html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
}

}  // namespace
}  // namespace gatehouse::handlers

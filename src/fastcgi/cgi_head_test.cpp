// The CGI response head as PHP writes it: statuses, redirects, cookies, limits.
#include "fastcgi/cgi_head.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::fastcgi {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

ByteSpan bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Feeds `text` in pieces of `step` bytes; returns the body bytes that came after the head.
struct Parsed {
  CgiHeadParser::Result result;
  CgiHead head;
  std::string body;
  HeadError error;
};

Parsed parse(std::string_view text, std::size_t step = 1 << 20, std::size_t limit = 65536) {
  CgiHeadParser p(limit);
  Parsed out{CgiHeadParser::Result::NeedMore, {}, {}, HeadError::None};
  for (std::size_t at = 0; at < text.size(); at += step) {
    const std::string_view piece = text.substr(at, step);
    if (out.result == CgiHeadParser::Result::Done) {
      out.body += piece;
      continue;
    }
    std::size_t used = 0;
    out.result = p.feed(bytes(piece), used);
    if (out.result == CgiHeadParser::Result::Error) break;
    if (out.result == CgiHeadParser::Result::Done) out.body += piece.substr(used);
  }
  if (out.result == CgiHeadParser::Result::NeedMore) out.result = p.finish();
  out.head = p.head();
  out.error = p.error();
  return out;
}

TEST(CgiHead, PhpDefaultHead) {
  const std::string text = "X-Powered-By: PHP/8.2\r\nContent-type: text/html; charset=UTF-8\r\n\r\nhello";
  for (std::size_t step = 1; step <= text.size(); ++step) {
    const Parsed p = parse(text, step);
    ASSERT_EQ(p.result, CgiHeadParser::Result::Done) << step;
    EXPECT_EQ(p.head.status, 200);
    EXPECT_THAT(p.head.headers,
                ElementsAre(Pair("X-Powered-By", "PHP/8.2"), Pair("Content-type", "text/html; charset=UTF-8")));
    EXPECT_EQ(p.body, "hello") << step;
  }
}

TEST(CgiHead, StatusWithReason) {
  const Parsed p = parse("Status: 404 Not Found\r\nContent-type: text/plain\r\n\r\nmissing");
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_EQ(p.head.status, 404);
  EXPECT_EQ(p.head.reason, "Not Found");
  EXPECT_THAT(p.head.headers, ElementsAre(Pair("Content-type", "text/plain")));
  EXPECT_EQ(p.body, "missing");
}

TEST(CgiHead, StatusWithoutReason) {
  const Parsed p = parse("status: 503\n\n");
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_EQ(p.head.status, 503);
  EXPECT_EQ(p.head.reason, "");
}

TEST(CgiHead, LocationWithoutStatusIsA302) {
  const Parsed p = parse("Location: https://example.com/next\r\n\r\n");
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_EQ(p.head.status, 302);
  EXPECT_EQ(p.head.location, "https://example.com/next");
  EXPECT_TRUE(p.head.headers.empty());
}

TEST(CgiHead, LocationKeepsAnExplicitStatus) {
  const Parsed p = parse("Status: 301 Moved Permanently\r\nLocation: /new\r\n\r\n");
  EXPECT_EQ(p.head.status, 301);
  EXPECT_EQ(p.head.location, "/new");
}

TEST(CgiHead, SeveralSetCookieKeptApart) {
  const Parsed p = parse("Set-Cookie: a=1; path=/\r\nSet-Cookie: b=2, c\r\nset-cookie: d=4\r\n\r\n");
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_THAT(p.head.set_cookies, ElementsAre("a=1; path=/", "b=2, c", "d=4"));
}

TEST(CgiHead, LfOnlyAndMixedLineEnds) {
  const Parsed p = parse("A: 1\nB:2\r\nC:   three  \n\nbody\r\n", 3);
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_THAT(p.head.headers, ElementsAre(Pair("A", "1"), Pair("B", "2"), Pair("C", "three")));
  EXPECT_EQ(p.body, "body\r\n");
}

TEST(CgiHead, EmptyValueIsAllowed) {
  const Parsed p = parse("X-Empty:\r\n\r\n");
  ASSERT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_THAT(p.head.headers, ElementsAre(Pair("X-Empty", "")));
}

TEST(CgiHead, HeadOnlyNoBody) {
  const Parsed p = parse("Status: 204 No Content\r\n\r\n");
  EXPECT_EQ(p.result, CgiHeadParser::Result::Done);
  EXPECT_EQ(p.body, "");
}

TEST(CgiHead, MalformedLinesAreErrors) {
  EXPECT_EQ(parse("no colon here\r\n\r\n").error, HeadError::MalformedLine);
  EXPECT_EQ(parse(": empty name\r\n\r\n").error, HeadError::MalformedLine);
  EXPECT_EQ(parse("Bad Name: x\r\n\r\n").error, HeadError::MalformedLine);
  EXPECT_EQ(parse("A: 1\r\n folded\r\n\r\n").error, HeadError::MalformedLine);
  EXPECT_EQ(parse(std::string_view("A: x\0y\r\n\r\n", 10)).error, HeadError::BadCharacter);
  EXPECT_EQ(parse("A: x\ry\r\n\r\n").error, HeadError::BadCharacter);
}

TEST(CgiHead, BadStatusIsAnError) {
  for (const char* head :
       {"Status: abc\n\n", "Status: 20\n\n", "Status: 099 Low\n\n", "Status: 2000\n\n", "Status:\n\n"}) {
    EXPECT_EQ(parse(head).error, HeadError::BadStatus) << head;
  }
}

TEST(CgiHead, HeadLimit) {
  const std::string line = "X-Big: " + std::string(100, 'a') + "\r\n";
  EXPECT_EQ(parse(line + "\r\n", 1 << 20, line.size() + 2).result, CgiHeadParser::Result::Done);
  EXPECT_EQ(parse(line + "\r\n", 1 << 20, line.size() + 1).error, HeadError::TooLarge);
  EXPECT_EQ(parse(line + "\r\n", 7, line.size() + 1).error, HeadError::TooLarge);
  // Many short lines count too, not only one long one.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "A: b\n";
  EXPECT_EQ(parse(many + "\n", 13, 4096).error, HeadError::TooLarge);
  // A line that never ends is refused once it reaches the limit.
  EXPECT_EQ(parse(std::string(10000, 'x'), 100, 4096).error, HeadError::TooLarge);
}

TEST(CgiHead, OutputThatEndsInsideTheHeadIsIncomplete) {
  EXPECT_EQ(parse("Content-type: text/html\r\n").error, HeadError::Incomplete);
  EXPECT_EQ(parse("").error, HeadError::Incomplete);
}

}  // namespace
}  // namespace gatehouse::fastcgi

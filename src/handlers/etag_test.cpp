// ETag, HTTP dates and conditional request evaluation.
#include "handlers/etag.hpp"

#include <gtest/gtest.h>

namespace gatehouse::handlers {
namespace {

TEST(HttpDate, FormatsAndParsesImfFixdate) {
  char out[kHttpDateSize + 1];
  format_http_date(784111777, out);
  EXPECT_STREQ(out, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("garbage"), std::nullopt);
}

TEST(ETag, ChangesWithInodeSizeAndMtime) {
  struct stat a {};
  a.st_ino = 42;
  a.st_size = 1024;
  a.st_mtim = {1700000000, 5};
  EXPECT_EQ(make_etag(a).view(), "\"2a-400-17979cfe362a0005\"");
  auto b = a;
  b.st_mtim.tv_nsec = 6;
  EXPECT_NE(make_etag(a).view(), make_etag(b).view());
  b = a;
  b.st_ino = 43;
  EXPECT_NE(make_etag(a).view(), make_etag(b).view());
}

TEST(Conditional, IfNoneMatch) {
  Conditions c;
  c.if_none_match = "\"x\"";
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::NotModified);
  c.if_none_match = "\"a\", W/\"x\"";
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::NotModified);  // weak comparison
  c.if_none_match = "*";
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::NotModified);
  c.if_none_match = "\"y\"";
  c.if_modified_since = "Sun, 06 Nov 2094 08:49:37 GMT";  // ignored when If-None-Match is present
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::Proceed);
}

TEST(Conditional, IfModifiedSince) {
  Conditions c;
  c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(evaluate(c, "\"x\"", 784111777), Precondition::NotModified);
  EXPECT_EQ(evaluate(c, "\"x\"", 784111776), Precondition::NotModified);
  EXPECT_EQ(evaluate(c, "\"x\"", 784111778), Precondition::Proceed);
  c.if_modified_since = "not a date";
  EXPECT_EQ(evaluate(c, "\"x\"", 1), Precondition::Proceed);
}

TEST(Conditional, IfMatchAndIfUnmodifiedSince) {
  Conditions c;
  c.if_match = "\"y\"";
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::Failed);
  c.if_match = "W/\"x\"";  // If-Match compares strongly
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::Failed);
  c.if_match = "\"x\"";
  EXPECT_EQ(evaluate(c, "\"x\"", 100), Precondition::Proceed);
  Conditions u;
  u.if_unmodified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(evaluate(u, "\"x\"", 784111778), Precondition::Failed);
  EXPECT_EQ(evaluate(u, "\"x\"", 784111777), Precondition::Proceed);
}

TEST(Conditional, IfRange) {
  EXPECT_TRUE(if_range_allows("", "\"x\"", 1));
  EXPECT_TRUE(if_range_allows("\"x\"", "\"x\"", 1));
  EXPECT_FALSE(if_range_allows("\"y\"", "\"x\"", 1));
  EXPECT_FALSE(if_range_allows("W/\"x\"", "\"x\"", 1));
  EXPECT_TRUE(if_range_allows("Sun, 06 Nov 1994 08:49:37 GMT", "\"x\"", 784111777));
  EXPECT_FALSE(if_range_allows("Sun, 06 Nov 1994 08:49:37 GMT", "\"x\"", 784111778));
}

}  // namespace
}  // namespace gatehouse::handlers

// Path canonicalisation against a table of good and hostile paths.
#include "http/path.hpp"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

struct Good {
  const char* raw;
  const char* canonical;
};

TEST(CanonicalizePath, AcceptsAndNormalisesGoodPaths) {
  const Good cases[] = {
      {"/", "/"},
      {"/index.html", "/index.html"},
      {"/a/b/c.txt", "/a/b/c.txt"},
      {"/a/", "/a/"},
      {"//a//b", "/a/b"},
      {"/a/./b", "/a/b"},
      {"/a/.", "/a/"},
      {"/a/b/../c", "/a/c"},
      {"/a/b/..", "/a/"},
      {"/a/..", "/"},
      {"/hello%20world.txt", "/hello world.txt"},
      {"/caf%C3%A9.html", "/caf\xC3\xA9.html"},
      {"/caf\xC3\xA9.html", "/caf\xC3\xA9.html"},
      {"/%41%62c", "/Abc"},
      {"/.well-known/acme-challenge/x", "/.well-known/acme-challenge/x"},
      {"/a%2Fb", "/a/b"},    // decoded once, then segments: %2F is a separator like any '/'
      {"/100%25", "/100%"},  // a literal percent, not followed by hex digits
      {"/a.b..c", "/a.b..c"},
  };
  for (const auto& c : cases) {
    auto r = canonicalize_path(c.raw);
    ASSERT_TRUE(r.has_value()) << c.raw << ": " << r.error().reason;
    EXPECT_EQ(*r, c.canonical) << c.raw;
  }
}

struct Bad {
  const char* raw;
  unsigned status;
  unsigned substatus;
};

TEST(CanonicalizePath, RefusesHostilePaths) {
  const Bad cases[] = {
      {"", 400, 0},
      {"index.html", 400, 0},
      {"/%", 400, 0},
      {"/%4", 400, 0},
      {"/%zz", 400, 0},
      {"/%G1", 400, 0},
      {"/a%00b", 400, 0},
      {"/a%0d%0aSet-Cookie:x", 400, 0},
      {"/a%7f", 400, 0},
      {"/a\\b", 400, 0},
      {"/a%5cb", 400, 0},
      {"/a%5C..%5C..%5Cetc", 400, 0},
      {"/..", 400, 0},
      {"/../etc/passwd", 400, 0},
      {"/a/../../etc/passwd", 400, 0},
      {"/%2e%2e/etc/passwd", 400, 0},
      {"/a/%2e%2e/%2e%2e/b", 400, 0},
      {"/%252e%252e/etc", 404, 11},
      {"/a%2541", 404, 11},
      {"/%25%32%65", 404, 11},  // "%2e" after one decoding
      {"/.htaccess", 404, 8},
      {"/a/.git/config", 404, 8},
      {"/.env", 404, 8},
      {"/%2ehtpasswd", 404, 8},
      {"/\xC3", 400, 0},            // truncated UTF-8
      {"/\xC0\xAF", 400, 0},        // overlong '/'
      {"/%C0%AE%C0%AE/x", 400, 0},  // overlong ".."
      {"/\xED\xA0\x80", 400, 0},    // surrogate
      {"/\xFF", 400, 0},
  };
  for (const auto& c : cases) {
    auto r = canonicalize_path(c.raw);
    ASSERT_FALSE(r.has_value()) << c.raw << " gave " << *r;
    EXPECT_EQ(r.error().status, c.status) << c.raw;
    EXPECT_EQ(r.error().substatus, c.substatus) << c.raw;
  }
}

TEST(Utf8, ValidatesSequences) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

}  // namespace
}  // namespace gatehouse::http

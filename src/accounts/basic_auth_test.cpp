// Authorization: Basic parsing against good and hostile headers.
#include "accounts/basic_auth.hpp"

#include <gtest/gtest.h>

namespace gatehouse::accounts {
namespace {

TEST(BasicAuth, ParsesUserAndPassword) {
  auto c = parse_basic_authorization("Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cret");
}

TEST(BasicAuth, SplitsAtTheFirstColonAndKeepsEmptyPassword) {
  auto c = parse_basic_authorization("basic   Ym9iOmE6Yjpj  ");  // bob:a:b:c, any case, extra spaces
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "a:b:c");
  auto empty = parse_basic_authorization("BASIC Ym9iOg==");  // bob:
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->user, "bob");
  EXPECT_EQ(empty->password, "");
}

TEST(BasicAuth, RejectsMalformedHeaders) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected the Basic scheme"},
      {"Bearer abc", "expected the Basic scheme"},
      {"Basic", "no credentials after Basic"},
      {"Basic ", "no credentials after Basic"},
      {"Basicx YWxpY2U6czNjcmV0", "expected the Basic scheme"},
      {"Basic YWxpY2U6czNjcmV0=", "credentials are not valid base64"},  // bad length
      {"Basic YWxpY2U6czNjcmV", "credentials are not valid base64"},    // unpadded
      {"Basic Ym9iOg=", "credentials are not valid base64"},
      {"Basic Ym9i Og==", "credentials are not valid base64"},  // space inside
      {"Basic Ym9iO===", "credentials are not valid base64"},   // three '='
      {"Basic Ym9=Og==", "credentials are not valid base64"},   // '=' inside
      {"Basic Ym9iOh==", "credentials are not valid base64"},   // stray bits
      {"Basic Ym9iOjE_", "credentials are not valid base64"},   // URL-safe alphabet
      {"Basic Ym9i", "decoded credentials have no ':'"},        // bob
  };
  for (const auto& [header, detail] : cases) {
    auto c = parse_basic_authorization(header);
    ASSERT_FALSE(c) << header;
    EXPECT_EQ(c.error().errnum, EINVAL) << header;
    EXPECT_EQ(c.error().detail, detail) << header;
  }
  EXPECT_EQ(parse_basic_authorization("Basic " + std::string(kMaxBasicToken + 4, 'A')).error().detail,
            "credentials too long");
}

TEST(BasicAuth, DecodesEveryByteValue) {
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("AP8A/w=="), std::string("\x00\xff\x00\xff", 4));
  EXPECT_EQ(decode_base64("YQ=="), "a");
  EXPECT_EQ(decode_base64("YWI="), "ab");
  EXPECT_EQ(decode_base64("YWJj"), "abc");
  EXPECT_EQ(decode_base64("Ym9iAHg6eQ=="), std::string("bob\0x:y", 7));
}

TEST(BasicAuth, ChallengeQuotesTheRealm) {
  EXPECT_EQ(basic_challenge("Shop"), "Basic realm=\"Shop\", charset=\"UTF-8\"");
  EXPECT_EQ(basic_challenge("a \"b\" \\c\r\nd"), "Basic realm=\"a \\\"b\\\" \\\\c  d\", charset=\"UTF-8\"");
}

}  // namespace
}  // namespace gatehouse::accounts

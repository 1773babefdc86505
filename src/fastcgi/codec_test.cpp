// Byte-exact tests of every record the server sends, against hand-written bytes.
#include "fastcgi/codec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::fastcgi {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

TEST(Codec, BeginRequestResponderKeepConn) {
  Bytes out;
  append_begin_request(out, 0x0102);
  EXPECT_THAT(out, ElementsAre(1, 1, 0x01, 0x02, 0, 8, 0, 0,  // header
                               0, 1, 1, 0, 0, 0, 0, 0));      // role 1, FCGI_KEEP_CONN
}

TEST(Codec, BeginRequestWithoutKeepConn) {
  Bytes out;
  append_begin_request(out, 1, false);
  EXPECT_THAT(out, ElementsAre(1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0));
}

TEST(Codec, AbortRequest) {
  Bytes out;
  append_abort_request(out, 7);
  EXPECT_THAT(out, ElementsAre(1, 2, 0, 7, 0, 0, 0, 0));
}

TEST(Codec, EncodersAppendToTheCallersBuffer) {
  Bytes out = {0xAA};
  append_abort_request(out, 1);
  EXPECT_THAT(out, ElementsAre(0xAA, 1, 2, 0, 1, 0, 0, 0, 0));
}

TEST(Codec, NameValueShortLengthsTakeOneByte) {
  Bytes out;
  append_name_value(out, "AB", "xyz");
  EXPECT_THAT(out, ElementsAre(2, 3, 'A', 'B', 'x', 'y', 'z'));
  EXPECT_EQ(name_value_size("AB", "xyz"), 7u);
}

TEST(Codec, NameValueLength127IsOneByte128IsFour) {
  Bytes out;
  append_name_value(out, std::string(127, 'n'), std::string(128, 'v'));
  ASSERT_EQ(out.size(), 1 + 4 + 127 + 128u);
  EXPECT_EQ(out[0], 127);
  EXPECT_THAT(Bytes(out.begin() + 1, out.begin() + 5), ElementsAre(0x80, 0, 0, 128));
}

TEST(Codec, NameValueFourByteLengthIsBigEndianWithHighBit) {
  Bytes out;
  append_name_value(out, "N", std::string(0x012345, 'v'));
  EXPECT_THAT(Bytes(out.begin(), out.begin() + 6), ElementsAre(1, 0x80, 0x01, 0x23, 0x45, 'N'));
}

TEST(Codec, ParamsRecordThenEmptyTerminator) {
  Bytes out;
  const std::vector<NameValue> params = {{"A", "1"}, {"BC", ""}};
  append_params(out, 1, params);
  EXPECT_THAT(out, ElementsAre(1, 4, 0, 1, 0, 8, 0, 0,          // PARAMS, 8 bytes, no padding
                               1, 1, 'A', '1', 2, 0, 'B', 'C',  //
                               1, 4, 0, 1, 0, 0, 0, 0));        // empty PARAMS ends the stream
}

TEST(Codec, EmptyParamsIsJustTheTerminator) {
  Bytes out;
  append_params(out, 3, {});
  EXPECT_THAT(out, ElementsAre(1, 4, 0, 3, 0, 0, 0, 0));
}

// A 70,000-byte value: the pair straddles two records, 65535 + the rest.
TEST(Codec, ParamsSplitAt65535Bytes) {
  Bytes out;
  const std::vector<NameValue> params = {{"BIG", std::string(70000, 'x')}};
  append_params(out, 1, params);
  const std::size_t content = 1 + 4 + 3 + 70000;
  ASSERT_EQ(out.size(), 8 + 65535 + 8 + (content - 65535) + 8);
  EXPECT_THAT(Bytes(out.begin(), out.begin() + 13), ElementsAre(1, 4, 0, 1, 0xff, 0xff, 0, 0,  //
                                                                3, 0x80, 0x01, 0x11, 0x70));
  const std::size_t second = 8 + 65535;
  const std::size_t rest = content - 65535;
  EXPECT_THAT(Bytes(out.begin() + second, out.begin() + second + 8),
              ElementsAre(1, 4, 0, 1, rest >> 8, rest & 0xff, 0, 0));
  EXPECT_THAT(Bytes(out.end() - 8, out.end()), ElementsAre(1, 4, 0, 1, 0, 0, 0, 0));
  // Reassembled, the stream decodes back to the pair.
  Bytes stream(out.begin() + 8, out.begin() + second);
  for (std::size_t i = second + 8; i < out.size() - 8; ++i) stream.push_back(out[i]);
  auto decoded = decode_name_values(stream, 100000);
  ASSERT_TRUE(decoded);
  EXPECT_THAT(*decoded, ElementsAre(params[0]));
}

// A record exactly full: no zero-length record in the middle of the stream
// (that would end it early).
TEST(Codec, ParamsExactlyFullRecordHasNoEmptyRecordBeforeTerminator) {
  Bytes out;
  const std::vector<NameValue> params = {{"N", std::string(65535 - 1 - 4 - 1, 'v')}};
  append_params(out, 1, params);
  ASSERT_EQ(out.size(), 8 + 65535 + 8u);
  EXPECT_THAT(Bytes(out.begin(), out.begin() + 8), ElementsAre(1, 4, 0, 1, 0xff, 0xff, 0, 0));
  EXPECT_THAT(Bytes(out.end() - 8, out.end()), ElementsAre(1, 4, 0, 1, 0, 0, 0, 0));
}

TEST(Codec, StdinChunkAndTerminator) {
  Bytes out;
  const std::uint8_t body[] = {'a', '=', '1'};
  append_stdin(out, 2, body);
  append_end_stdin(out, 2);
  EXPECT_THAT(out, ElementsAre(1, 5, 0, 2, 0, 3, 0, 0, 'a', '=', '1',  //
                               1, 5, 0, 2, 0, 0, 0, 0));
}

TEST(Codec, StdinEmptyDataWritesNothing) {
  Bytes out;
  append_stdin(out, 2, {});
  EXPECT_TRUE(out.empty());
}

TEST(Codec, StdinChunkedAt65535) {
  Bytes out;
  const Bytes body(65535 + 10, 'z');
  append_stdin(out, 1, body);
  ASSERT_EQ(out.size(), 8 + 65535 + 8 + 10u);
  EXPECT_THAT(Bytes(out.begin(), out.begin() + 8), ElementsAre(1, 5, 0, 1, 0xff, 0xff, 0, 0));
  EXPECT_THAT(Bytes(out.begin() + 8 + 65535, out.begin() + 16 + 65535), ElementsAre(1, 5, 0, 1, 0, 10, 0, 0));
}

TEST(Codec, GetValuesIsOneRecordOnIdZero) {
  Bytes out;
  const std::vector<std::string> names = {"FCGI_MAX_CONNS", "FCGI_MPXS_CONNS"};
  append_get_values(out, names);
  Bytes expected = {1, 9, 0, 0, 0, 33, 0, 0, 14, 0};
  for (char c : std::string("FCGI_MAX_CONNS")) expected.push_back(c);
  expected.insert(expected.end(), {15, 0});
  for (char c : std::string("FCGI_MPXS_CONNS")) expected.push_back(c);
  EXPECT_THAT(out, ElementsAreArray(expected));
}

TEST(Codec, HeaderRoundTrip) {
  const auto h = encode_header(RecordType::Stdout, 0xBEEF, 0x1234);
  EXPECT_THAT(h, ElementsAre(1, 6, 0xBE, 0xEF, 0x12, 0x34, 0, 0));
  const RecordHeader d = decode_header(h.data());
  EXPECT_EQ(d.type, 6);
  EXPECT_EQ(d.request_id, 0xBEEF);
  EXPECT_EQ(d.content_length, 0x1234);
  EXPECT_EQ(d.padding_length, 0);
}

TEST(Codec, DecodeNameValuesRejectsTruncatedAndOversized) {
  const Bytes truncated = {5, 1, 'A', 'B'};
  EXPECT_FALSE(decode_name_values(truncated, 100));
  const Bytes short_length = {0x80, 0, 0};
  EXPECT_FALSE(decode_name_values(short_length, 100));
  Bytes big;
  append_name_value(big, "N", std::string(200, 'v'));
  EXPECT_FALSE(decode_name_values(big, 100));
  EXPECT_TRUE(decode_name_values(big, 200));
  EXPECT_THAT(*decode_name_values({}, 1), ::testing::IsEmpty());
}

}  // namespace
}  // namespace gatehouse::fastcgi

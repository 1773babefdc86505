// The response parser fed every split of a response stream, and malformed input.
#include "fastcgi/response_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::fastcgi {
namespace {

using ::testing::ElementsAre;

void record(Bytes& out, RecordType type, std::uint16_t id, std::string_view content, std::uint8_t padding = 0) {
  const auto h = encode_header(type, id, static_cast<std::uint16_t>(content.size()));
  out.insert(out.end(), h.begin(), h.end());
  out[out.size() - 2] = padding;
  out.insert(out.end(), content.begin(), content.end());
  out.insert(out.end(), padding, 0xEE);
}

std::string end_body(std::uint32_t app, std::uint8_t proto) {
  return std::string{static_cast<char>(app >> 24),
                     static_cast<char>(app >> 16),
                     static_cast<char>(app >> 8),
                     static_cast<char>(app),
                     static_cast<char>(proto),
                     0,
                     0,
                     0};
}

// What a caller sees: output concatenated per stream, and how it ended.
struct Seen {
  std::string out;
  std::string err;
  int ends = 0;
  std::uint32_t app_status = 0;
  ProtocolStatus protocol = ProtocolStatus::RequestComplete;
  std::vector<std::uint8_t> unknown_types;
  std::vector<NameValue> values;
  ParseError error = ParseError::None;
};

void drain(ResponseParser& p, ByteSpan in, Seen& seen) {
  for (;;) {
    Event ev = p.next(in);
    switch (ev.kind) {
      case EventKind::NeedMore:
        ASSERT_TRUE(in.empty());
        return;
      case EventKind::Stdout:
        seen.out.append(ev.data.begin(), ev.data.end());
        break;
      case EventKind::Stderr:
        seen.err.append(ev.data.begin(), ev.data.end());
        break;
      case EventKind::EndRequest:
        ++seen.ends;
        seen.app_status = ev.app_status;
        seen.protocol = ev.protocol_status;
        if (in.empty()) return;
        break;
      case EventKind::UnknownType:
        seen.unknown_types.push_back(ev.unknown_type);
        break;
      case EventKind::GetValuesResult:
        seen.values = ev.values;
        break;
      case EventKind::Error:
        seen.error = ev.error;
        return;
    }
  }
}

Seen parse_in_pieces(const Bytes& stream, std::vector<std::size_t> cuts, std::uint16_t id = 1) {
  ResponseParser p(id);
  Seen seen;
  std::size_t from = 0;
  cuts.push_back(stream.size());
  for (std::size_t cut : cuts) {
    drain(p, ByteSpan(stream).subspan(from, cut - from), seen);
    if (seen.error != ParseError::None) break;
    from = cut;
  }
  return seen;
}

Bytes typical_response() {
  Bytes s;
  record(s, RecordType::Stdout, 1, "Content-type: text/html\r\n\r\n", 5);
  record(s, RecordType::Stderr, 1, "PHP Warning: x", 2);
  record(s, RecordType::UnknownType, 0, std::string("\x0c\0\0\0\0\0\0\0", 8));
  record(s, RecordType::Stdout, 1, "hello ");
  record(s, RecordType::Stdout, 1, "world", 3);
  record(s, RecordType::Stdout, 1, "");
  record(s, RecordType::Stderr, 1, "", 7);
  record(s, RecordType::EndRequest, 1, end_body(0x01020304, 0), 0);
  return s;
}

void expect_typical(const Seen& seen) {
  EXPECT_EQ(seen.error, ParseError::None) << describe(seen.error);
  EXPECT_EQ(seen.out, "Content-type: text/html\r\n\r\nhello world");
  EXPECT_EQ(seen.err, "PHP Warning: x");
  EXPECT_EQ(seen.ends, 1);
  EXPECT_EQ(seen.app_status, 0x01020304u);
  EXPECT_THAT(seen.unknown_types, ElementsAre(12));
}

TEST(ResponseParser, WholeStream) { expect_typical(parse_in_pieces(typical_response(), {})); }

TEST(ResponseParser, OneByteAtATime) {
  const Bytes s = typical_response();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < s.size(); ++i) cuts.push_back(i);
  expect_typical(parse_in_pieces(s, cuts));
}

TEST(ResponseParser, EveryTwoWaySplit) {
  const Bytes s = typical_response();
  for (std::size_t i = 0; i <= s.size(); ++i) {
    SCOPED_TRACE(i);
    expect_typical(parse_in_pieces(s, {i}));
  }
}

TEST(ResponseParser, EveryThreeWaySplit) {
  const Bytes s = typical_response();
  for (std::size_t i = 0; i <= s.size(); ++i)
    for (std::size_t j = i; j <= s.size(); ++j) {
      const Seen seen = parse_in_pieces(s, {i, j});
      ASSERT_EQ(seen.out, "Content-type: text/html\r\n\r\nhello world") << i << "," << j;
      ASSERT_EQ(seen.err, "PHP Warning: x") << i << "," << j;
      ASSERT_EQ(seen.ends, 1) << i << "," << j;
    }
}

TEST(ResponseParser, StdoutIsHandedOutBeforeTheRecordIsComplete) {
  Bytes s;
  record(s, RecordType::Stdout, 1, "abcdef");
  ResponseParser p(1);
  ByteSpan in = ByteSpan(s).first(10);  // header + "ab"
  Event ev = p.next(in);
  ASSERT_EQ(ev.kind, EventKind::Stdout);
  EXPECT_EQ(std::string(ev.data.begin(), ev.data.end()), "ab");
  EXPECT_EQ(p.next(in).kind, EventKind::NeedMore);
}

TEST(ResponseParser, EndRequestStatuses) {
  Bytes s;
  record(s, RecordType::EndRequest, 1, end_body(255, 2), 8);
  const Seen seen = parse_in_pieces(s, {});
  EXPECT_EQ(seen.app_status, 255u);
  EXPECT_EQ(seen.protocol, ProtocolStatus::Overloaded);
}

TEST(ResponseParser, GetValuesResult) {
  Bytes body;
  append_name_value(body, "FCGI_MAX_CONNS", "1");
  append_name_value(body, "FCGI_MPXS_CONNS", "0");
  Bytes s;
  record(s, RecordType::GetValuesResult, 0, std::string(body.begin(), body.end()), 3);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    const Seen seen = parse_in_pieces(s, {i}, kManagementId);
    ASSERT_EQ(seen.error, ParseError::None);
    ASSERT_THAT(seen.values, ElementsAre(NameValue{"FCGI_MAX_CONNS", "1"}, NameValue{"FCGI_MPXS_CONNS", "0"}));
  }
}

ParseError error_of(const Bytes& s, std::uint16_t id = 1) { return parse_in_pieces(s, {}, id).error; }

TEST(ResponseParser, RejectsBadVersion) {
  Bytes s;
  record(s, RecordType::Stdout, 1, "x");
  s[0] = 2;
  EXPECT_EQ(error_of(s), ParseError::BadVersion);
}

TEST(ResponseParser, RejectsOtherRequestId) {
  Bytes s;
  record(s, RecordType::Stdout, 2, "x");
  EXPECT_EQ(error_of(s), ParseError::UnexpectedRequestId);
  Bytes m;
  record(m, RecordType::UnknownType, 1, std::string(8, '\0'));
  EXPECT_EQ(error_of(m), ParseError::UnexpectedRequestId);
  Bytes no_request;
  record(no_request, RecordType::Stdout, 1, "x");
  EXPECT_EQ(error_of(no_request, kManagementId), ParseError::UnexpectedRequestId);
}

TEST(ResponseParser, RejectsRecordTypesAResponderNeverSends) {
  for (auto type :
       {RecordType::BeginRequest, RecordType::AbortRequest, RecordType::Params, RecordType::Stdin, RecordType::Data,
        RecordType::GetValues, static_cast<RecordType>(0), static_cast<RecordType>(200)}) {
    Bytes s;
    record(s, type, 1, "12345678");
    EXPECT_EQ(error_of(s), ParseError::UnexpectedRecordType) << int(type);
  }
}

TEST(ResponseParser, RejectsMalformedEndRequestAndUnknownType) {
  Bytes s;
  record(s, RecordType::EndRequest, 1, "1234");
  EXPECT_EQ(error_of(s), ParseError::BadEndRequest);
  Bytes p;
  record(p, RecordType::EndRequest, 1, end_body(0, 4));
  EXPECT_EQ(error_of(p), ParseError::BadProtocolStatus);
  Bytes u;
  record(u, RecordType::UnknownType, 0, "123456789");
  EXPECT_EQ(error_of(u), ParseError::BadUnknownType);
}

TEST(ResponseParser, RejectsMalformedAndOversizedNameValues) {
  Bytes s;
  record(s, RecordType::GetValuesResult, 0,
         std::string("\x05\x01"
                     "AB",
                     4));
  EXPECT_EQ(error_of(s, kManagementId), ParseError::MalformedNameValue);
  Bytes body;
  append_name_value(body, "N", std::string(5000, 'v'));
  Bytes big;
  record(big, RecordType::GetValuesResult, 0, std::string(body.begin(), body.end()));
  EXPECT_EQ(error_of(big, kManagementId), ParseError::OversizedNameValue);
}

TEST(ResponseParser, RejectsDataAfterStreamEnd) {
  Bytes s;
  record(s, RecordType::Stdout, 1, "");
  record(s, RecordType::Stdout, 1, "late");
  EXPECT_EQ(error_of(s), ParseError::DataAfterStreamEnd);
}

TEST(ResponseParser, RejectsAnythingAfterEndRequest) {
  Bytes s;
  record(s, RecordType::EndRequest, 1, end_body(0, 0));
  record(s, RecordType::Stdout, 1, "x");
  EXPECT_EQ(error_of(s), ParseError::RecordAfterEnd);
  Bytes one_byte;
  record(one_byte, RecordType::EndRequest, 1, end_body(0, 0));
  one_byte.push_back(1);
  EXPECT_EQ(error_of(one_byte), ParseError::RecordAfterEnd);
}

TEST(ResponseParser, ErrorIsSticky) {
  Bytes s;
  record(s, RecordType::Stdout, 1, "x");
  s[0] = 9;
  ResponseParser p(1);
  ByteSpan in(s);
  EXPECT_EQ(p.next(in).kind, EventKind::Error);
  Bytes good;
  record(good, RecordType::Stdout, 1, "x");
  ByteSpan again(good);
  EXPECT_EQ(p.next(again).error, ParseError::BadVersion);
}

TEST(ResponseParser, ResetStartsTheNextRequest) {
  Bytes first;
  record(first, RecordType::EndRequest, 1, end_body(0, 0));
  ResponseParser p(1);
  ByteSpan in(first);
  EXPECT_EQ(p.next(in).kind, EventKind::EndRequest);
  EXPECT_TRUE(p.ended());
  p.reset(2);
  Bytes second;
  record(second, RecordType::Stdout, 2, "ok");
  ByteSpan in2(second);
  EXPECT_EQ(p.next(in2).kind, EventKind::Stdout);
}

// A flood of empty STDERR records (a worker gone mad) is consumed without
// events, without growing memory, and the parser keeps its place.
TEST(ResponseParser, EmptyRecordsProduceNoEvents) {
  Bytes s;
  for (int i = 0; i < 1000; ++i) record(s, RecordType::UnknownType, 0, std::string(8, '\0'));
  record(s, RecordType::Stdout, 1, "x");
  ResponseParser p(1);
  ByteSpan in(s);
  int unknown = 0;
  Event ev;
  while ((ev = p.next(in)).kind == EventKind::UnknownType) ++unknown;
  EXPECT_EQ(unknown, 1000);
  EXPECT_EQ(ev.kind, EventKind::Stdout);
}

}  // namespace
}  // namespace gatehouse::fastcgi

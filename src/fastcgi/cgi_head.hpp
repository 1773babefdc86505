// Streaming parser of the CGI response head PHP writes on STDOUT (RFC 3875
// section 6): header lines up to a blank line, then the body. Pure std C++.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fastcgi/codec.hpp"

namespace gatehouse::fastcgi {

struct CgiHead {
  int status = 200;
  std::string reason;  // from "Status: 404 Not Found"; empty when PHP gave none
  std::optional<std::string> location;
  std::vector<std::string> set_cookies;                      // each Set-Cookie kept apart, in order
  std::vector<std::pair<std::string, std::string>> headers;  // the others, as written
};

enum class HeadError : std::uint8_t {
  None = 0,
  TooLarge,       // the head exceeds the limit
  MalformedLine,  // no colon, empty or invalid name, continuation line
  BadCharacter,   // NUL or a bare CR in a line
  BadStatus,      // Status is not a three-digit code 100..999
  Incomplete,     // the stream ended before the blank line
};

std::string_view describe(HeadError e);

class CgiHeadParser {
 public:
  enum class Result : std::uint8_t { NeedMore, Done, Error };

  explicit CgiHeadParser(std::size_t max_head = 65536) : max_head_(max_head) {}

  // Feeds the next STDOUT bytes. On Done, `consumed` says how many bytes of
  // `in` belong to the head: the rest of `in` is the start of the body.
  // Bytes fed after Done or Error are not looked at.
  Result feed(ByteSpan in, std::size_t& consumed);

  // STDOUT ended: a head that never completed is an error (Incomplete).
  Result finish();

  const CgiHead& head() const { return head_; }
  CgiHead take_head() { return std::move(head_); }
  HeadError error() const { return error_; }

 private:
  Result fail(HeadError e);
  Result parse_line(std::string_view line);

  std::size_t max_head_;
  std::size_t seen_ = 0;  // head bytes consumed so far
  std::string line_;      // the line being assembled across feeds
  CgiHead head_;
  bool has_status_ = false;
  bool done_ = false;
  HeadError error_ = HeadError::None;
};

}  // namespace gatehouse::fastcgi

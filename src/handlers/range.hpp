// Parsing of the Range request header (RFC 9110 section 14) for one byte range.
#pragma once

#include <cstdint>
#include <string_view>

namespace gatehouse::handlers {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

enum class RangeKind {
  Full,           // no Range, a malformed one, a non-bytes unit or several ranges: 200 with all
  Partial,        // one satisfiable range: 206
  Unsatisfiable,  // 416 with Content-Range: bytes */size
};

struct RangeResult {
  RangeKind kind = RangeKind::Full;
  ByteRange range;
};

// `header` is the Range value ("bytes=0-99", "bytes=100-", "bytes=-50").
// Several ranges are answered with the whole file (allowed by the RFC, and
// it keeps multipart/byteranges out of the server).
RangeResult parse_range(std::string_view header, std::uint64_t size);

}  // namespace gatehouse::handlers

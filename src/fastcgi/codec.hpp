// FastCGI 1.0 wire format: record header, name-value pairs and the encoders of
// every record a web server sends. Pure std C++ (no Boost, no std::expected) so
// the fuzz target can build it with clang 14.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::fastcgi {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

inline constexpr std::uint8_t kVersion1 = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxContent = 65535;  // contentLength is 16 bits
inline constexpr std::uint16_t kManagementId = 0;  // requestId of GET_VALUES & co.

enum class RecordType : std::uint8_t {
  BeginRequest = 1,
  AbortRequest = 2,
  EndRequest = 3,
  Params = 4,
  Stdin = 5,
  Stdout = 6,
  Stderr = 7,
  Data = 8,
  GetValues = 9,
  GetValuesResult = 10,
  UnknownType = 11,
};

enum class Role : std::uint16_t { Responder = 1, Authorizer = 2, Filter = 3 };
inline constexpr std::uint8_t kKeepConn = 1;  // FCGI_KEEP_CONN

enum class ProtocolStatus : std::uint8_t {
  RequestComplete = 0,
  CantMpxConn = 1,
  Overloaded = 2,
  UnknownRole = 3,
};

struct RecordHeader {
  std::uint8_t version = kVersion1;
  std::uint8_t type = 0;
  std::uint16_t request_id = 0;
  std::uint16_t content_length = 0;
  std::uint8_t padding_length = 0;
};

struct NameValue {
  std::string name;
  std::string value;
  bool operator==(const NameValue&) const = default;
};

// Header bytes, big-endian as the spec says. We never pad on send: padding is
// a "should" for alignment, costs bytes, and breaks zero-copy STDIN writes.
std::array<std::uint8_t, kHeaderSize> encode_header(RecordType type, std::uint16_t request_id,
                                                    std::uint16_t content_length);
RecordHeader decode_header(const std::uint8_t* bytes);  // reads exactly kHeaderSize

// One name-value pair: lengths below 128 take one byte, others four (high bit set).
// Names or values longer than 2^31-1 cannot be encoded; callers limit far below.
void append_name_value(Bytes& out, std::string_view name, std::string_view value);
std::size_t name_value_size(std::string_view name, std::string_view value);

// Decodes a complete name-value stream; nullopt when it is malformed (a length
// running past the end) or a name/value exceeds `max_item` bytes.
std::optional<std::vector<NameValue>> decode_name_values(ByteSpan in, std::size_t max_item);

// Encoders append to the caller's buffer, so a reused buffer costs no allocation.
void append_begin_request(Bytes& out, std::uint16_t request_id, bool keep_conn = true, Role role = Role::Responder);
void append_abort_request(Bytes& out, std::uint16_t request_id);
// The PARAMS stream, split into records of at most kMaxContent bytes (a pair may
// straddle two records, as the spec allows), then the empty PARAMS record.
void append_params(Bytes& out, std::uint16_t request_id, std::span<const NameValue> params);
// STDIN data in records of at most kMaxContent bytes; empty `data` writes nothing.
void append_stdin(Bytes& out, std::uint16_t request_id, ByteSpan data);
void append_end_stdin(Bytes& out, std::uint16_t request_id);  // the empty STDIN record
// GET_VALUES on request id 0: names with empty values.
void append_get_values(Bytes& out, std::span<const std::string> names);

}  // namespace gatehouse::fastcgi

// Incremental parser of what a FastCGI application sends back: any split of
// the byte stream, bounded memory, malformed input becomes an error event.
// Pure std C++ (the fuzz target builds it with clang 14).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fastcgi/codec.hpp"

namespace gatehouse::fastcgi {

enum class ParseError : std::uint8_t {
  None = 0,
  BadVersion,            // version byte is not 1
  UnexpectedRequestId,   // an application record for another request
  UnexpectedRecordType,  // a type a responder never sends (BEGIN_REQUEST, PARAMS...)
  BadEndRequest,         // END_REQUEST body is not 8 bytes
  BadProtocolStatus,     // protocolStatus outside 0..3
  BadUnknownType,        // UNKNOWN_TYPE body is not 8 bytes
  MalformedNameValue,    // GET_VALUES_RESULT pairs run past the record
  OversizedNameValue,    // a GET_VALUES_RESULT name or value over the limit
  DataAfterStreamEnd,    // STDOUT/STDERR data after that stream's empty record
  RecordAfterEnd,        // anything after END_REQUEST
};

std::string_view describe(ParseError e);

enum class EventKind : std::uint8_t {
  NeedMore,  // all input consumed, no event complete
  Stdout,
  Stderr,
  EndRequest,
  GetValuesResult,
  UnknownType,
  Error,
};

struct Event {
  EventKind kind = EventKind::NeedMore;
  // Stdout/Stderr: a slice of the caller's input, valid as long as that input.
  ByteSpan data;
  std::uint32_t app_status = 0;                                      // EndRequest
  ProtocolStatus protocol_status = ProtocolStatus::RequestComplete;  // EndRequest
  std::vector<NameValue> values;                                     // GetValuesResult
  std::uint8_t unknown_type = 0;                                     // UnknownType
  ParseError error = ParseError::None;                               // Error
};

class ResponseParser {
 public:
  // `request_id` 0 accepts management records only (for a GET_VALUES exchange).
  explicit ResponseParser(std::uint16_t request_id = kManagementId, std::size_t max_value = 4096);

  // Starts a new request on the same connection.
  void reset(std::uint16_t request_id);

  // Consumes bytes from the front of `in` until one event is complete or `in`
  // is empty (then NeedMore). Stdout/Stderr data is handed out as soon as it
  // arrives, without waiting for the whole record. After an Error every call
  // returns the same error.
  Event next(ByteSpan& in);

  bool ended() const { return state_ == State::Ended; }
  bool failed() const { return error_ != ParseError::None; }

 private:
  enum class State : std::uint8_t { Header, Content, Padding, Ended };

  Event fail(ParseError e);
  Event on_header();
  Event on_small_body();
  Event take_stream_data(ByteSpan& in, EventKind kind);

  std::uint16_t request_id_;
  std::size_t max_value_;
  State state_ = State::Header;
  ParseError error_ = ParseError::None;
  std::array<std::uint8_t, kHeaderSize> header_buf_{};
  std::size_t header_have_ = 0;
  RecordHeader header_{};
  std::size_t content_left_ = 0;
  std::size_t padding_left_ = 0;
  Bytes body_;  // END_REQUEST, UNKNOWN_TYPE, GET_VALUES_RESULT: at most kMaxContent
  bool stdout_closed_ = false;
  bool stderr_closed_ = false;
};

}  // namespace gatehouse::fastcgi

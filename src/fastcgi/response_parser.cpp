// The response-side FastCGI state machine: header, content, padding, with
// STDOUT/STDERR streamed through and the small management bodies buffered.
#include "fastcgi/response_parser.hpp"

#include <algorithm>

namespace gatehouse::fastcgi {

std::string_view describe(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "no error";
    case ParseError::BadVersion:
      return "record version is not 1";
    case ParseError::UnexpectedRequestId:
      return "record for an unexpected request id";
    case ParseError::UnexpectedRecordType:
      return "record type a responder never sends";
    case ParseError::BadEndRequest:
      return "END_REQUEST body is not 8 bytes";
    case ParseError::BadProtocolStatus:
      return "END_REQUEST with an unknown protocol status";
    case ParseError::BadUnknownType:
      return "UNKNOWN_TYPE body is not 8 bytes";
    case ParseError::MalformedNameValue:
      return "malformed name-value pair";
    case ParseError::OversizedNameValue:
      return "oversized name-value pair";
    case ParseError::DataAfterStreamEnd:
      return "stream data after the stream's end";
    case ParseError::RecordAfterEnd:
      return "data after END_REQUEST";
  }
  return "unknown parse error";
}

ResponseParser::ResponseParser(std::uint16_t request_id, std::size_t max_value)
    : request_id_(request_id), max_value_(max_value) {}

void ResponseParser::reset(std::uint16_t request_id) { *this = ResponseParser(request_id, max_value_); }

Event ResponseParser::fail(ParseError e) {
  error_ = e;
  Event ev;
  ev.kind = EventKind::Error;
  ev.error = e;
  return ev;
}

Event ResponseParser::next(ByteSpan& in) {
  if (failed()) return fail(error_);
  while (!in.empty()) {
    switch (state_) {
      case State::Ended:
        return fail(ParseError::RecordAfterEnd);
      case State::Header: {
        const std::size_t take = std::min(kHeaderSize - header_have_, in.size());
        std::copy_n(in.begin(), take, header_buf_.begin() + static_cast<std::ptrdiff_t>(header_have_));
        in = in.subspan(take);
        header_have_ += take;
        if (header_have_ < kHeaderSize) break;
        header_have_ = 0;
        if (Event e = on_header(); e.kind != EventKind::NeedMore) return e;
        break;
      }
      case State::Content: {
        const auto type = static_cast<RecordType>(header_.type);
        if (type == RecordType::Stdout) return take_stream_data(in, EventKind::Stdout);
        if (type == RecordType::Stderr) return take_stream_data(in, EventKind::Stderr);
        const std::size_t take = std::min(content_left_, in.size());
        body_.insert(body_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
        in = in.subspan(take);
        content_left_ -= take;
        if (content_left_ > 0) break;
        state_ = State::Padding;
        if (padding_left_ == 0) return on_small_body();
        break;
      }
      case State::Padding: {
        const std::size_t take = std::min(padding_left_, in.size());
        in = in.subspan(take);
        padding_left_ -= take;
        if (padding_left_ > 0) break;
        const auto type = static_cast<RecordType>(header_.type);
        if (type == RecordType::Stdout || type == RecordType::Stderr) {
          state_ = State::Header;
          break;
        }
        return on_small_body();
      }
    }
  }
  return Event{};
}

// Validates a complete header and decides where its content goes. Returns an
// event only for errors; empty records complete here silently.
Event ResponseParser::on_header() {
  header_ = decode_header(header_buf_.data());
  if (header_.version != kVersion1) return fail(ParseError::BadVersion);
  const auto type = static_cast<RecordType>(header_.type);
  switch (type) {
    case RecordType::Stdout:
    case RecordType::Stderr:
    case RecordType::EndRequest:
      if (request_id_ == kManagementId || header_.request_id != request_id_)
        return fail(ParseError::UnexpectedRequestId);
      break;
    case RecordType::GetValuesResult:
    case RecordType::UnknownType:
      if (header_.request_id != kManagementId) return fail(ParseError::UnexpectedRequestId);
      break;
    default:
      return fail(ParseError::UnexpectedRecordType);
  }
  if (type == RecordType::EndRequest && header_.content_length != 8) return fail(ParseError::BadEndRequest);
  if (type == RecordType::UnknownType && header_.content_length != 8) return fail(ParseError::BadUnknownType);

  if (type == RecordType::Stdout || type == RecordType::Stderr) {
    bool& closed = type == RecordType::Stdout ? stdout_closed_ : stderr_closed_;
    if (closed) return fail(ParseError::DataAfterStreamEnd);
    if (header_.content_length == 0) closed = true;
  }
  content_left_ = header_.content_length;
  padding_left_ = header_.padding_length;
  body_.clear();
  if (content_left_ > 0) {
    state_ = State::Content;
  } else if (padding_left_ > 0 || type == RecordType::GetValuesResult) {
    state_ = State::Padding;  // an empty GET_VALUES_RESULT still yields its event
    if (padding_left_ == 0) return on_small_body();
  } else {
    state_ = State::Header;
  }
  return Event{};
}

// A buffered record (END_REQUEST, UNKNOWN_TYPE, GET_VALUES_RESULT) is complete,
// padding included.
Event ResponseParser::on_small_body() {
  Event ev;
  state_ = State::Header;
  switch (static_cast<RecordType>(header_.type)) {
    case RecordType::EndRequest: {
      if (body_[4] > static_cast<std::uint8_t>(ProtocolStatus::UnknownRole)) return fail(ParseError::BadProtocolStatus);
      ev.kind = EventKind::EndRequest;
      ev.app_status =
          std::uint32_t{body_[0]} << 24 | std::uint32_t{body_[1]} << 16 | std::uint32_t{body_[2]} << 8 | body_[3];
      ev.protocol_status = static_cast<ProtocolStatus>(body_[4]);
      state_ = State::Ended;
      break;
    }
    case RecordType::UnknownType:
      ev.kind = EventKind::UnknownType;
      ev.unknown_type = body_[0];
      break;
    default: {  // GetValuesResult: on_header admits nothing else here
      auto values = decode_name_values(body_, max_value_);
      if (!values) {
        // Tell "too long" apart from "cut short" for the operator's log.
        auto lenient = decode_name_values(body_, kMaxContent);
        return fail(lenient ? ParseError::OversizedNameValue : ParseError::MalformedNameValue);
      }
      ev.kind = EventKind::GetValuesResult;
      ev.values = std::move(*values);
      break;
    }
  }
  body_.clear();
  return ev;
}

Event ResponseParser::take_stream_data(ByteSpan& in, EventKind kind) {
  const std::size_t take = std::min(content_left_, in.size());
  Event ev;
  ev.kind = kind;
  ev.data = in.first(take);
  in = in.subspan(take);
  content_left_ -= take;
  if (content_left_ == 0) state_ = padding_left_ > 0 ? State::Padding : State::Header;
  return ev;
}

}  // namespace gatehouse::fastcgi

// The non-template half of Connection: request state, buffers, and turning
// parser events into Output values.
#include "fastcgi/client.hpp"

namespace gatehouse::fastcgi {

Connection::Connection(UnixSocket socket, std::size_t read_buffer)
    : socket_(std::move(socket)),
      read_buf_(std::make_unique_for_overwrite<std::uint8_t[]>(read_buffer)),
      read_size_(read_buffer) {
  write_buf_.reserve(4096);
}

void Connection::close() {
  error_code ignored;
  socket_.close(ignored);
  broken_ = true;
}

error_code Connection::fail(error_code ec) {
  broken_ = true;
  in_request_ = false;
  return ec;
}

error_code Connection::check_write() {
  if (broken_) return ClientErrc::connection_broken;
  if (writing_) return ClientErrc::busy;
  return {};
}

error_code Connection::prepare_begin(std::span<const NameValue> params, bool has_body) {
  if (auto ec = check_write()) return ec;
  if (in_request_) return ClientErrc::request_active;
  // Bytes the worker sent since the last END_REQUEST belong to no request:
  // the stream can no longer be trusted.
  if (read_pos_ != read_end_) return fail(ClientErrc::stray_data);
  request_id_ = static_cast<std::uint16_t>(request_id_ == 0xffff ? 1 : request_id_ + 1);
  parser_.reset(request_id_);
  write_buf_.clear();
  append_begin_request(write_buf_, request_id_);
  append_params(write_buf_, request_id_, params);
  if (!has_body) append_end_stdin(write_buf_, request_id_);
  in_request_ = true;
  stdin_open_ = has_body;
  writing_ = true;
  return {};
}

error_code Connection::prepare_end_stdin() {
  if (auto ec = check_stdin()) return ec;
  write_buf_.clear();
  append_end_stdin(write_buf_, request_id_);
  stdin_open_ = false;
  writing_ = true;
  return {};
}

error_code Connection::prepare_abort() {
  if (auto ec = check_write()) return ec;
  if (!in_request_) return ClientErrc::not_in_request;
  write_buf_.clear();
  append_abort_request(write_buf_, request_id_);
  stdin_open_ = false;
  writing_ = true;
  return {};
}

error_code Connection::prepare_get_values(std::span<const std::string> names) {
  if (auto ec = check_write()) return ec;
  if (in_request_) return ClientErrc::request_active;
  if (reading_) return ClientErrc::busy;
  if (read_pos_ != read_end_) return fail(ClientErrc::stray_data);
  parser_.reset(kManagementId);
  write_buf_.clear();
  append_get_values(write_buf_, names);
  writing_ = true;
  return {};
}

error_code Connection::check_stdin() {
  if (auto ec = check_write()) return ec;
  if (!in_request_) return ClientErrc::not_in_request;
  if (!stdin_open_) return ClientErrc::stdin_closed;
  return {};
}

error_code Connection::check_read() {
  if (broken_) return ClientErrc::connection_broken;
  if (reading_) return ClientErrc::busy;
  if (!in_request_) return ClientErrc::not_in_request;
  return {};
}

error_code Connection::on_written(error_code ec) {
  writing_ = false;
  return ec ? fail(ec) : ec;
}

error_code Connection::on_read(error_code ec, std::size_t n) {
  reading_ = false;
  if (ec) return fail(ec);
  read_end_ += n;
  return {};
}

asio::mutable_buffer Connection::read_space() {
  // The parser consumes all it is given before asking for more, so the
  // buffer is empty whenever a read starts: no compaction needed.
  read_pos_ = read_end_ = 0;
  return asio::buffer(read_buf_.get(), read_size_);
}

bool Connection::poll_output(Output& out, error_code& ec) {
  ByteSpan in(read_buf_.get() + read_pos_, read_end_ - read_pos_);
  for (;;) {
    Event ev = parser_.next(in);
    read_pos_ = read_end_ - in.size();
    switch (ev.kind) {
      case EventKind::NeedMore:
        return false;
      case EventKind::Stdout:
      case EventKind::Stderr:
        out = Output{ev.kind, ev.data, 0, ProtocolStatus::RequestComplete};
        return true;
      case EventKind::EndRequest:
        out = Output{ev.kind, {}, ev.app_status, ev.protocol_status};
        in_request_ = false;
        stdin_open_ = false;
        return true;
      case EventKind::UnknownType:
        ec = fail(ClientErrc::unknown_type);
        return true;
      case EventKind::GetValuesResult:
        continue;  // unsolicited: harmless, skip it
      case EventKind::Error:
        ec = fail(ev.error);
        return true;
    }
  }
}

bool Connection::poll_values(std::vector<NameValue>& values, error_code& ec) {
  ByteSpan in(read_buf_.get() + read_pos_, read_end_ - read_pos_);
  Event ev = parser_.next(in);
  read_pos_ = read_end_ - in.size();
  switch (ev.kind) {
    case EventKind::NeedMore:
      return false;
    case EventKind::GetValuesResult:
      values = std::move(ev.values);
      return true;
    case EventKind::UnknownType:
      ec = fail(ClientErrc::unknown_type);
      return true;
    case EventKind::Error:
      ec = fail(ev.error);
      return true;
    default:  // the management parser yields nothing else
      ec = fail(ParseError::UnexpectedRecordType);
      return true;
  }
}

}  // namespace gatehouse::fastcgi

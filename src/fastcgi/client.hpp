// An async FastCGI client connection to one worker over a connected unix
// socket: one request at a time, FCGI_KEEP_CONN, streamed body and output.
#pragma once

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fastcgi/codec.hpp"
#include "fastcgi/errors.hpp"
#include "fastcgi/response_parser.hpp"

namespace gatehouse::fastcgi {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using UnixSocket = asio::local::stream_protocol::socket;

// One piece of the response: kind is Stdout, Stderr or EndRequest.
struct Output {
  EventKind kind = EventKind::NeedMore;
  ByteSpan data;  // Stdout/Stderr; valid until the next async_read_output
  std::uint32_t app_status = 0;
  ProtocolStatus protocol_status = ProtocolStatus::RequestComplete;
};

// Every async_* takes an Asio completion token (a callback, asio::use_awaitable,
// use_future...). Errors arrive as error_code: socket errors, asio::error::eof
// when the worker closed the connection, ClientErrc, ParseError. After any
// error the connection is broken() and must be closed. Not thread-safe: use it
// from one strand. At most one write-side operation (begin, write_stdin,
// end_stdin, abort, get_values) and one read (read_output) may be in flight,
// and they may overlap, so output can be drained while the body still flows.
class Connection {
 public:
  explicit Connection(UnixSocket socket, std::size_t read_buffer = 65536);

  // Sends BEGIN_REQUEST (RESPONDER, KEEP_CONN) and the PARAMS stream. With
  // `has_body` false the empty STDIN record goes in the same write.
  // Completion: void(error_code).
  template <class Token>
  auto async_begin(std::span<const NameValue> params, bool has_body, Token&& token) {
    const error_code pre = prepare_begin(params, has_body);
    return async_write_prepared(pre, std::forward<Token>(token));
  }

  // Sends `data` as STDIN records (64 KiB - 1 each), without copying it; the
  // caller keeps `data` alive until completion. Empty data sends nothing.
  // Completion: void(error_code).
  template <class Token>
  auto async_write_stdin(asio::const_buffer data, Token&& token) {
    return asio::async_compose<Token, void(error_code)>(StdinOp{*this, data, check_stdin()}, token, socket_);
  }

  // Ends the body (the empty STDIN record). Completion: void(error_code).
  template <class Token>
  auto async_end_stdin(Token&& token) {
    const error_code pre = prepare_end_stdin();
    return async_write_prepared(pre, std::forward<Token>(token));
  }

  // Sends ABORT_REQUEST; the worker should still end the request with
  // END_REQUEST, which async_read_output delivers. Completion: void(error_code).
  template <class Token>
  auto async_abort(Token&& token) {
    const error_code pre = prepare_abort();
    return async_write_prepared(pre, std::forward<Token>(token));
  }

  // The next piece of output, read only when asked for: that is the
  // backpressure. After EndRequest the connection is ready for async_begin.
  // Completion: void(error_code, Output).
  template <class Token>
  auto async_read_output(Token&& token) {
    return asio::async_compose<Token, void(error_code, Output)>(ReadOp{*this, check_read()}, token, socket_);
  }

  // FCGI_GET_VALUES between requests (e.g. FCGI_MAX_CONNS, FCGI_MPXS_CONNS).
  // Completion: void(error_code, std::vector<NameValue>).
  template <class Token>
  auto async_get_values(std::span<const std::string> names, Token&& token) {
    const error_code pre = prepare_get_values(names);
    return asio::async_compose<Token, void(error_code, std::vector<NameValue>)>(GetValuesOp{*this, pre}, token,
                                                                                socket_);
  }

  bool in_request() const { return in_request_; }
  // True when the last request ended cleanly (END_REQUEST read, no stray
  // bytes, no error): only then may the socket go back to the worker pool.
  bool reusable() const { return !broken_ && !in_request_ && !writing_ && !reading_ && read_pos_ == read_end_; }
  bool broken() const { return broken_; }
  std::uint16_t request_id() const { return request_id_; }
  UnixSocket& socket() { return socket_; }
  UnixSocket release_socket() { return std::move(socket_); }  // e.g. back to a pool::Lease
  void close();

 private:
  enum class Stage : std::uint8_t { Start, Io, Deliver };

  // Writes write_buf_ (filled by a prepare_* call), or reports `pre` later.
  template <class Token>
  auto async_write_prepared(error_code pre, Token&& token) {
    return asio::async_compose<Token, void(error_code)>(WriteOp{*this, pre}, token, socket_);
  }

  struct WriteOp {
    Connection& c;
    error_code ec_out;
    Stage stage = Stage::Start;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (stage == Stage::Start && !ec_out) {
        stage = Stage::Io;
        return asio::async_write(c.socket_, asio::buffer(c.write_buf_), std::move(self));
      }
      if (stage == Stage::Start) {  // never complete inside the initiating call
        stage = Stage::Deliver;
        return asio::post(c.socket_.get_executor(), std::move(self));
      }
      if (stage == Stage::Io) ec_out = c.on_written(ec);
      self.complete(ec_out);
    }
  };

  struct StdinOp {
    Connection& c;
    asio::const_buffer rest;
    error_code ec_out;
    Stage stage = Stage::Start;
    std::array<std::uint8_t, kHeaderSize> header{};
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (stage == Stage::Io) {
        ec_out = c.on_written(ec);
        if (ec_out || rest.size() == 0) return self.complete(ec_out);
      }
      if (stage == Stage::Start && (ec_out || rest.size() == 0)) {
        stage = Stage::Deliver;
        return asio::post(c.socket_.get_executor(), std::move(self));
      }
      if (stage == Stage::Deliver) return self.complete(ec_out);
      stage = Stage::Io;
      const std::size_t n = std::min(rest.size(), kMaxContent);
      header = encode_header(RecordType::Stdin, c.request_id_, static_cast<std::uint16_t>(n));
      const std::array<asio::const_buffer, 2> bufs{asio::buffer(header), asio::buffer(rest.data(), n)};
      rest += n;
      c.writing_ = true;
      asio::async_write(c.socket_, bufs, std::move(self));
    }
  };

  struct ReadOp {
    Connection& c;
    error_code ec_out;
    Stage stage = Stage::Start;
    Output out{};
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (stage == Stage::Deliver) return self.complete(ec_out, out);
      if (stage == Stage::Io) {
        ec_out = c.on_read(ec, n);
        if (ec_out) return self.complete(ec_out, out);
      }
      const bool start = stage == Stage::Start;
      if (!ec_out && !c.poll_output(out, ec_out)) {
        stage = Stage::Io;
        c.reading_ = true;
        return c.socket_.async_read_some(c.read_space(), std::move(self));
      }
      if (!start) return self.complete(ec_out, out);
      stage = Stage::Deliver;
      asio::post(c.socket_.get_executor(), std::move(self));
    }
  };

  struct GetValuesOp {
    Connection& c;
    error_code ec_out;
    Stage stage = Stage::Start;
    bool written = false;
    std::vector<NameValue> values;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (stage == Stage::Deliver) return self.complete(ec_out, std::move(values));
      if (stage == Stage::Start && ec_out) {
        stage = Stage::Deliver;
        return asio::post(c.socket_.get_executor(), std::move(self));
      }
      if (stage == Stage::Start) {
        stage = Stage::Io;
        return asio::async_write(c.socket_, asio::buffer(c.write_buf_), std::move(self));
      }
      ec_out = written ? c.on_read(ec, n) : c.on_written(ec);
      written = true;
      if (!ec_out && !c.poll_values(values, ec_out)) {
        c.reading_ = true;
        return c.socket_.async_read_some(c.read_space(), std::move(self));
      }
      self.complete(ec_out, std::move(values));
    }
  };

  error_code prepare_begin(std::span<const NameValue> params, bool has_body);
  error_code prepare_end_stdin();
  error_code prepare_abort();
  error_code prepare_get_values(std::span<const std::string> names);
  error_code check_stdin();
  error_code check_read();
  error_code check_write();
  error_code on_written(error_code ec);
  error_code on_read(error_code ec, std::size_t n);
  error_code fail(error_code ec);
  bool poll_output(Output& out, error_code& ec);
  bool poll_values(std::vector<NameValue>& values, error_code& ec);
  asio::mutable_buffer read_space();

  UnixSocket socket_;
  Bytes write_buf_;                           // reused: no allocation per request once warm
  std::unique_ptr<std::uint8_t[]> read_buf_;  // not zeroed: a Connection may live for one request
  std::size_t read_size_;
  std::size_t read_pos_ = 0;
  std::size_t read_end_ = 0;
  ResponseParser parser_;
  std::uint16_t request_id_ = 0;
  bool in_request_ = false;
  bool stdin_open_ = false;
  bool writing_ = false;
  bool reading_ = false;
  bool broken_ = false;
};

}  // namespace gatehouse::fastcgi

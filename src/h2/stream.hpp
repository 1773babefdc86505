// One HTTP/2 stream: a request that goes through the same pipeline as an
// HTTP/1.1 one (http/pipeline.hpp) and a response that nghttp2 pulls through
// a data provider only as the peer's flow-control window opens, so a slow
// reader holds at most one handler write (or one frame of a file) here.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "h2/request_head.hpp"
#include "handlers/port.hpp"
#include "handlers/static_handler.hpp"
#include "http/pipeline.hpp"
#include "http/snapshot.hpp"
#include "http/traffic.hpp"

namespace gatehouse::h2 {

class Connection;
using SteadyTime = std::chrono::steady_clock::time_point;

class Stream final : public http::Exchange {
 public:
  Stream(Connection& connection, std::int32_t id);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() override;

  // From the connection's nghttp2 callbacks.
  void on_field(std::string_view name, std::string_view value);
  void on_head(bool end_stream);  // the header block is complete: the pipeline starts
  void on_data(std::string_view data);
  void on_remote_end();  // END_STREAM from the client: the body is complete
  void on_response_sent();
  // nghttp2 forgot the stream (sent or got RST_STREAM, or both ends closed).
  // True when it may be deleted now; false while its handler has an operation pending.
  bool on_closed();
  // The data provider: up to `length` bytes of the response into `buf`.
  ssize_t read_response(std::uint8_t* buf, std::size_t length, std::uint32_t* flags);

  std::int32_t id() const { return id_; }
  bool closed() const { return closed_; }
  SteadyTime deadline() const { return deadline_; }
  // Its deadline passed: the handler may deal with it, else the stream is reset.
  void expire();
  void run_write_done();

  // handlers::Port
  const handlers::Request& request() const override { return request_; }
  const handlers::Peer& peer() const override;
  SteadyTime request_start() const override { return start_; }
  const config::Limits& limits() const override { return view_->config().server.limits; }
  bool body_complete() const override { return remote_ended_ && body_.empty(); }
  std::optional<std::uint64_t> body_length() const override { return head_builder_.content_length(); }
  void read_body(handlers::BodyChunk chunk) override;
  void write_head(const handlers::ResponseHead& head) override;
  void write_body(std::string_view data, bool last, handlers::WriteDone done) override;
  void answer_error(unsigned status, unsigned substatus, std::string_view detail) override;
  void abort() override;
  void set_deadline(SteadyTime when) override { deadline_ = when; }
  void cap_waits(SteadyTime when) override { wait_cap_ = when; }
  void keep_alive(bool) override {}  // the connection outlives a stream's troubles
  void note_win32(int error_code) override { win32_ = error_code; }
  void log_as(unsigned status, unsigned substatus) override { log_as_ = {status, substatus}; }

  // http::Exchange
  handlers::Request& head() override { return request_; }
  const boost::asio::ip::address& local_address() const override;
  bool tls() const override { return true; }
  bool open() const override;
  int client_fd() const override;
  void error_response(unsigned status, unsigned substatus, std::string_view detail, bool close,
                      handlers::HeaderView extra = {}) override;
  void redirect_response(unsigned status, std::string_view location) override;
  void send_static(handlers::StaticAnswer& answer) override;
  void drain_body() override;

 private:
  void deliver_body();
  void drain_body_bytes();  // stop taking the body: what came and what comes is dropped
  void submit();
  void log_request();
  void apply_forwarding();  // stream_forwarding.cpp: X-Forwarded-* from a trusted balancer

  Connection& conn_;
  std::int32_t id_;
  std::shared_ptr<http::View> view_;
  handlers::Request request_;
  HeadBuilder head_builder_;
  http::Pipeline pipeline_;
  SteadyTime start_;
  SteadyTime deadline_;
  SteadyTime wait_cap_ = SteadyTime::max();

  // The request body.
  bool head_done_ = false;
  bool remote_ended_ = false;
  bool drop_body_ = false;  // a static answer or an error page: the bytes are only counted
  std::string body_;        // received, not yet given to the handler
  handlers::BodyChunk body_reader_;

  // The response: the head as nghttp2 name/value pairs (views into head_text_),
  // then bytes of out_, then a file part, pulled by read_response.
  std::string head_text_;
  std::vector<nghttp2_nv> nv_;
  bool head_written_ = false, submitted_ = false, discard_body_ = false, last_ = false;
  std::string out_;
  std::size_t out_sent_ = 0;
  handlers::OpenFile file_;
  std::uint64_t file_offset_ = 0, file_left_ = 0;
  handlers::WriteDone write_done_;  // the handler waits for nghttp2 to take its bytes
  handlers::WriteDone done_ready_;  // ... which it did: runs from the connection, not from nghttp2
  std::string scratch_;

  // State and the access log.
  http::Traffic::Ticket in_flight_;  // counted for `gatehouse drain` (issue 18) while the stream lives
  bool closed_ = false;              // nghttp2 forgot it
  bool aborted_ = false;             // reset by us
  bool logged_ = false;
  unsigned status_ = 0, substatus_ = 0;
  int win32_ = 0;
  std::uint64_t sent_bytes_ = 0;
  std::optional<std::pair<unsigned, unsigned>> log_as_;
  std::optional<handlers::Peer> forwarded_peer_;  // the client a trusted balancer named; else the connection's
};

}  // namespace gatehouse::h2

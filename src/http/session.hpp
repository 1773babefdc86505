// One client connection over HTTP/1.1, as a transport: parse -> route ->
// authorize -> dispatch -> write. It keeps responses in request order, owns
// the one response writer (send, sendfile, EAGAIN, backpressure) and enforces
// the header, keep-alive and body timeouts through a deadline that the
// worker's tick checks. Handlers answer through handlers::Port.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "handlers/port.hpp"
#include "handlers/static_handler.hpp"
#include "http/forwarding.hpp"
#include "http/framing.hpp"
#include "http/pipeline.hpp"
#include "http/request.hpp"
#include "http/snapshot.hpp"
#include "http/traffic.hpp"
#include "http/transport.hpp"
#include "tls/connection.hpp"

namespace gatehouse::http {

class Worker;

class Session final : public Transport, public Exchange, public BodySink {
 public:
  // `tls`: the SNI table of an https port (the session speaks TLS), or nullptr.
  Session(Worker& worker, boost::asio::ip::tcp::socket socket, const tls::PortContexts* tls = nullptr);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override;

  void start() override;
  // The worker's tick: past its deadline, the connection is closed (its
  // pending operation then completes with an error and ends the session).
  bool expired(SteadyTime now) const override { return now > deadline_; }
  void close() override;
  // Graceful stop: an idle connection closes now, a busy one after its response.
  // Stop keeping alive; an idle connection closes now, unless `gentle` (its
  // next response says Connection: close).
  void drain(bool gentle = false) override;

  // handlers::Port
  const Request& request() const override { return request_; }
  const handlers::Peer& peer() const override { return peer_; }
  SteadyTime request_start() const override { return request_start_; }
  const config::Limits& limits() const override;
  bool body_complete() const override { return parser_->is_done(); }
  std::optional<std::uint64_t> body_length() const override;
  void read_body(handlers::BodyChunk chunk) override;
  void write_head(const handlers::ResponseHead& head) override;
  void write_body(std::string_view data, bool last, handlers::WriteDone done) override;
  void answer_error(unsigned status, unsigned substatus, std::string_view detail) override;
  void abort() override { destroy(); }
  void set_deadline(SteadyTime when) override { deadline_ = when; }
  void cap_waits(SteadyTime when) override { wait_cap_ = when; }
  void keep_alive(bool allowed) override { keep_alive_ = keep_alive_ && allowed; }
  void note_win32(int error_code) override { win32_ = error_code; }
  void log_as(unsigned status, unsigned substatus) override { log_as_ = {status, substatus}; }

  // Exchange (pipeline.hpp)
  handlers::Request& head() override { return request_; }
  const boost::asio::ip::address& local_address() const override { return local_ip_; }
  bool tls() const override { return tls_ != nullptr; }
  bool open() const override { return socket_.is_open(); }
  int client_fd() const override { return fd_; }
  void error_response(unsigned status, unsigned substatus, std::string_view detail, bool close,
                      handlers::HeaderView extra = {}) override;
  void redirect_response(unsigned status, std::string_view location) override;
  void send_static(handlers::StaticAnswer& answer) override;
  void drain_body() override { parse(); }

  // BodySink: body bytes from the parser.
  void on_body(std::string_view chunk) override;

 private:
  enum class Phase { Idle, Head, Body, Write, Linger };

  // TLS (tls_io.cpp): the handshake, then reads and writes through SSL.
  void tls_handshake();
  void tls_wait(tls::Want want, void (Session::*then)());
  void tls_read();
  // Sends from out_ (and the file part) through TLS; false when it waits or ended the session.
  bool tls_flush();
  // Reading and parsing.
  void begin_request();
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void parse();
  void on_header_done();
  void deliver_body();
  void on_parse_error(boost::system::error_code ec);

  // Behind a load balancer (session_forwarding.cpp): false when the
  // connection is refused (an untrusted peer on a PROXY port) or was answered.
  bool begin_forwarding();
  // With a PROXY header pending: true when the buffer holds request bytes to
  // parse now; otherwise it has read on or ended the session.
  bool take_proxy_header();
  // X-Forwarded-For / -Proto of a request from a trusted peer into peer_.
  void apply_forwarded_headers();

  // The request head is complete: the pipeline takes it from here.
  void process();

  // The one response writer.
  void flush();
  void wait_writable();
  void on_flushed();
  void on_response_done();
  void linger();
  void linger_read();
  void log_request();
  void destroy();

  Worker& worker_;
  std::shared_ptr<View> view_;  // the snapshot this request runs with (a reload swaps the worker's)
  boost::asio::ip::tcp::socket socket_;
  int fd_ = -1;
  handlers::Peer peer_;
  ConnectionForwarding forwarding_;
  boost::asio::ip::address local_ip_;
  boost::beast::flat_buffer buffer_;
  Request request_;
  std::optional<RequestParser> parser_;
  Phase phase_ = Phase::Idle;
  SteadyTime deadline_;
  SteadyTime request_start_;
  SteadyTime wait_cap_ = SteadyTime::max();  // a handler's limit on waits for the client
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool draining_ = false;
  bool gentle_ = false;  // drain(true): keep-alive ends with the next response

  bool keep_body_ = false;                                     // a handler reads the body: keep what the parser gives
  std::string body_;                                           // body bytes not yet given to the handler
  handlers::BodyChunk body_reader_;                            // the handler waits for body bytes
  Pipeline pipeline_{worker_, *this, socket_.get_executor()};  // route, rewrite, authorize, dispatch

  // The response being written: head (and body bytes) in out_, then a file part.
  std::string out_;
  std::size_t out_sent_ = 0;
  std::uint64_t sent_bytes_ = 0;  // this response, for the metrics
  handlers::OpenFile file_;
  std::uint64_t file_offset_ = 0;
  std::uint64_t file_left_ = 0;
  Framing framing_ = Framing::None;
  bool discard_body_ = false;                 // HEAD, or a status without a body
  std::optional<std::uint64_t> length_left_;  // with Framing::Length
  bool last_ = false;                         // out_ ends the response
  handlers::WriteDone write_done_;            // a handler waits for its bytes to leave
  std::string scratch_;

  // For the access log.
  unsigned status_ = 0;
  unsigned substatus_ = 0;

  std::unique_ptr<tls::Connection> tls_;  // https: every byte goes through it
  int win32_ = 0;
  Traffic::Ticket in_flight_;                            // this request, for `gatehouse drain` (issue 18)
  std::optional<std::pair<unsigned, unsigned>> log_as_;  // the status the log records instead
};

}  // namespace gatehouse::http

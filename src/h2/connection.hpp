// One HTTP/2 connection over TLS: an nghttp2 server session fed from and
// drained into a tls::Connection on the worker's thread, its streams, its
// deadlines, and the limits against abusive clients (concurrent streams,
// header list and HPACK table sizes, RST_STREAM rate, CONTINUATION count).
// A session (http/session.hpp) hands its TLS connection over when ALPN chose h2.
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "h2/stream.hpp"
#include "http/transport.hpp"
#include "http/worker.hpp"
#include "tls/connection.hpp"

namespace gatehouse::h2 {

// The factory the worker calls (http::Worker::serve_h2).
http::H2Factory factory();

class Connection final : public http::Transport {
 public:
  Connection(http::Worker& worker, boost::asio::ip::tcp::socket socket, std::unique_ptr<tls::Connection> tls,
             const handlers::Peer& peer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() override;

  // http::Transport
  void start() override;
  bool expired(SteadyTime now) const override;
  void close() override;
  void drain(bool gentle) override;

  // For streams.
  http::Worker& worker() { return worker_; }
  nghttp2_session* session() { return session_; }
  const handlers::Peer& peer() const { return peer_; }
  const boost::asio::ip::address& local_address() const { return local_ip_; }
  int fd() const { return fd_; }
  bool open() const { return !ending_ && socket_.is_open(); }
  std::string_view tls_version() const { return tls_->version(); }
  // Sends what nghttp2 has queued, from outside its callbacks (posted).
  void kick();
  // A stream's handler may go on (its bytes were taken): run it once the send loop is done.
  void write_done_ready(std::int32_t id);
  // A stream that outlived nghttp2 (its handler had an operation pending) is over.
  void forget(std::int32_t id);

  // nghttp2 callbacks (connection.cpp).
  int on_begin_headers(const nghttp2_frame* frame);
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data(std::int32_t id, std::string_view data);
  int on_frame_send(const nghttp2_frame* frame);
  int on_stream_close(std::int32_t id, std::uint32_t error_code);

 private:
  Stream* find(std::int32_t id);
  void pump();                               // read and write until the socket would block
  bool flush_out();                          // false: waits for the socket (or ended)
  bool read_some();                          // false: waits for the socket (or ended)
  void wait(bool readable, bool for_write);  // `for_write`: a write waits (else a read)
  void end();                                // close the socket; streams and this go once nothing is pending
  void linger();                             // after a half-close: drop what the client still sends, then close
  void post(std::function<void()> fn);
  void settle();      // deletes this when ended and nothing refers to it
  void note_reset();  // RST_STREAM from the client: rapid-reset accounting

  http::Worker& worker_;
  std::shared_ptr<http::View> view_;  // the configuration this connection started with (its limits)
  boost::asio::ip::tcp::socket socket_;
  int fd_ = -1;
  std::unique_ptr<tls::Connection> tls_;
  handlers::Peer peer_;
  boost::asio::ip::address local_ip_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::unique_ptr<Stream>> streams_;

  std::string wbuf_;  // frames for the next SSL_write
  std::size_t wsent_ = 0;
  bool read_waiting_ = false, write_waiting_ = false;
  bool pumping_ = false, pump_again_ = false, kick_posted_ = false;
  unsigned pending_ = 0;  // asynchronous operations and posted calls that refer to this
  bool ending_ = false, settled_ = false;
  SteadyTime deadline_;         // the connection's own: idle, first request, a blocked write
  SteadyTime resets_window_{};  // rapid reset: the second being counted
  unsigned resets_ = 0;
  std::vector<std::int32_t> done_ready_;  // streams whose WriteDone runs after the send loop
  std::array<char, 4096> linger_buf_{};
  std::uint64_t linger_bytes_ = 0;
};

}  // namespace gatehouse::h2

// The HTTP/2 connection's I/O loop: nghttp2's mem_recv/mem_send between
// SSL_read and SSL_write on the non-blocking socket. It reads only while its
// writes are not blocked (a client that does not read cannot make it queue
// answers), and everything that ends it is posted, so the worker's tick and a
// stream's handler never delete it under their own feet.
#include "h2/connection.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"

namespace gatehouse::h2 {
namespace {

using Steady = std::chrono::steady_clock;
constexpr std::size_t kRecord = 16 * 1024;           // one TLS record
constexpr int kReadsPerTurn = 8;                     // then the other connections of this thread get a turn
constexpr std::int32_t kConnectionWindow = 1 << 20;  // request bodies in flight, all streams together
constexpr auto kLinger = std::chrono::seconds(1);    // as HTTP/1.1's linger, shorter: nothing more is answered
constexpr std::uint64_t kLingerBytes = 1 << 20;

Connection* self(void* user) { return static_cast<Connection*>(user); }

nghttp2_session_callbacks* callbacks() {
  static nghttp2_session_callbacks* cb = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        c, [](nghttp2_session*, const nghttp2_frame* f, void* u) { return self(u)->on_begin_headers(f); });
    nghttp2_session_callbacks_set_on_header_callback(
        c, [](nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t name_len,
              const std::uint8_t* value, std::size_t value_len, std::uint8_t, void* u) {
          return self(u)->on_header(f, {reinterpret_cast<const char*>(name), name_len},
                                    {reinterpret_cast<const char*>(value), value_len});
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        c, [](nghttp2_session*, const nghttp2_frame* f, void* u) { return self(u)->on_frame_recv(f); });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        c, [](nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len, void* u) {
          return self(u)->on_data(id, {reinterpret_cast<const char*>(data), len});
        });
    nghttp2_session_callbacks_set_on_frame_send_callback(
        c, [](nghttp2_session*, const nghttp2_frame* f, void* u) { return self(u)->on_frame_send(f); });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        c, [](nghttp2_session*, std::int32_t id, std::uint32_t code, void* u) {
          return self(u)->on_stream_close(id, code);
        });
    return c;
  }();
  return cb;
}

}  // namespace

http::H2Factory factory() {
  return [](http::Worker& worker, boost::asio::ip::tcp::socket socket, std::unique_ptr<tls::Connection> tls,
            const handlers::Peer& peer) -> std::unique_ptr<http::Transport> {
    return std::make_unique<Connection>(worker, std::move(socket), std::move(tls), peer);
  };
}

Connection::Connection(http::Worker& worker, boost::asio::ip::tcp::socket socket, std::unique_ptr<tls::Connection> tls,
                       const handlers::Peer& peer)
    : worker_(worker),
      view_(worker.view()),
      socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      tls_(std::move(tls)),
      peer_(peer) {
  boost::system::error_code ec;
  local_ip_ = socket_.local_endpoint(ec).address();
}

Connection::~Connection() {
  streams_.clear();  // handlers first: they may still name the session's streams
  if (session_) nghttp2_session_del(session_);
}

void Connection::start() {
  const auto& cfg = view_->config().server;
  const auto& h2 = cfg.http2;
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);  // a body's window opens as its handler takes it
  nghttp2_option_set_max_continuations(option, h2.max_continuations);
  // nghttp2's own rapid-reset bucket is a backstop behind note_reset's count.
  nghttp2_option_set_stream_reset_rate_limit(option, 2ull * h2.max_resets_per_second, h2.max_resets_per_second);
  int rc = nghttp2_session_server_new2(&session_, callbacks(), this, option);
  nghttp2_option_del(option);
  if (rc != 0) {
    log::error("[h2] session: {}", nghttp2_strerror(rc));
    return end();
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, h2.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, h2.initial_window_size},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, h2.header_table_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.limits.max_request_headers, UINT32_MAX))},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  deadline_ = Steady::now() + cfg.limits.header_timeout;  // the first request comes promptly
  if (worker_.draining())  // handed over while the server stops: GOAWAY at once, nothing is served
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  pump();
}

// ---- Deadlines, drain ----

bool Connection::expired(SteadyTime now) const {
  if (now > deadline_) return true;
  if (ending_) return false;
  for (const auto& [id, s] : streams_)
    if (now > s->deadline()) return true;
  return false;
}

void Connection::close() {
  if (ending_) {  // lingering: its time is up
    boost::system::error_code ec;
    socket_.close(ec);
    return;
  }
  const auto now = Steady::now();
  std::vector<std::int32_t> late;
  for (const auto& [id, s] : streams_)
    if (now > s->deadline()) late.push_back(id);
  for (auto id : late)
    if (auto* s = find(id)) s->expire();
  if (now > deadline_) end();
}

void Connection::drain(bool gentle) {
  if (ending_ || !session_) return;
  // GOAWAY with the last stream taken: those finish, no new one starts.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  if (!gentle && streams_.empty()) return end();
  kick();
}

// ---- I/O ----

void Connection::kick() {
  if (kick_posted_ || ending_) return;
  kick_posted_ = true;
  post([this] {
    kick_posted_ = false;
    pump();
  });
}

void Connection::post(std::function<void()> fn) {
  ++pending_;
  boost::asio::post(socket_.get_executor(), [this, fn = std::move(fn)] {
    --pending_;
    if (ending_) return settle();
    fn();
  });
}

void Connection::pump() {
  if (ending_) return;
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    if (!write_waiting_) flush_out();
    if (!ending_ && !write_waiting_ && !read_waiting_) read_some();
  } while (pump_again_ && !ending_);
  pumping_ = false;
  if (ending_) return;
  // Handlers whose bytes nghttp2 took go on now, outside its callbacks.
  for (auto id : std::exchange(done_ready_, {}))
    post([this, id] {
      if (auto* s = find(id)) s->run_write_done();
    });
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_) && wsent_ == wbuf_.size())
    return end();  // GOAWAY sent or received, and every stream is done
  if (!write_waiting_) {
    if (streams_.empty())
      deadline_ = std::min(deadline_, Steady::now() + view_->config().server.limits.keepalive_timeout);
    else
      deadline_ = SteadyTime::max();  // the streams' own deadlines apply
  }
}

bool Connection::flush_out() {
  for (;;) {
    if (wsent_ == wbuf_.size()) {
      wbuf_.clear();
      wsent_ = 0;
      // Small frames go out together, in one TLS record where they fit.
      while (wbuf_.size() < kRecord) {
        const std::uint8_t* data = nullptr;
        auto n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) {
          log::warn("[h2] {}: {}", peer_.remote_ip, nghttp2_strerror(static_cast<int>(n)));
          end();
          return false;
        }
        if (n == 0) break;
        wbuf_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      }
      if (wbuf_.empty()) return true;
    }
    auto r = tls_->write(wbuf_.data() + wsent_, wbuf_.size() - wsent_);
    if (r.want == tls::Want::None) {
      wsent_ += r.n;
      continue;
    }
    if (r.want == tls::Want::Read || r.want == tls::Want::Write) {
      // A client that stops reading is cut after body_timeout, as on HTTP/1.1.
      deadline_ = Steady::now() + view_->config().server.limits.body_timeout;
      wait(r.want == tls::Want::Read, true);
      return false;
    }
    end();
    return false;
  }
}

bool Connection::read_some() {
  char buf[kRecord];
  for (int i = 0; i < kReadsPerTurn; ++i) {
    auto r = tls_->read(buf, sizeof buf);
    if (r.want == tls::Want::Read || r.want == tls::Want::Write) {
      wait(r.want == tls::Want::Read, false);
      return false;
    }
    if (r.want != tls::Want::None) {  // the client closed, or TLS failed
      end();
      return false;
    }
    auto used = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buf), r.n);
    if (used < 0) {  // a protocol error nghttp2 could not answer with GOAWAY, or a flood
      log::info("[h2] {}: connection closed: {}", peer_.remote_ip, nghttp2_strerror(static_cast<int>(used)));
      end();
      return false;
    }
    if (!flush_out() || ending_) return false;  // what these frames produced leaves before more is read
    if (!nghttp2_session_want_read(session_)) return false;
  }
  post([this] { pump(); });  // more may be buffered: later, after the others' turn
  return true;
}

void Connection::wait(bool readable, bool for_write) {
  (for_write ? write_waiting_ : read_waiting_) = true;
  ++pending_;
  socket_.async_wait(readable ? boost::asio::ip::tcp::socket::wait_read : boost::asio::ip::tcp::socket::wait_write,
                     [this, for_write](boost::system::error_code ec) {
                       --pending_;
                       (for_write ? write_waiting_ : read_waiting_) = false;
                       if (ec || ending_) {
                         end();
                         return settle();
                       }
                       pump();
                     });
}

void Connection::end() {
  if (ending_) return;
  ending_ = true;
  boost::system::error_code ec;
  if (wsent_ == wbuf_.size()) {
    // close_notify, then half-close and read what the client still sends for
    // a moment: closing with its bytes unread would reset the connection and
    // could destroy the GOAWAY that says why (a rapid-reset client must see it).
    tls_->shutdown();
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    if (!ec) {
      deadline_ = Steady::now() + kLinger;
      return linger();
    }
  }
  socket_.close(ec);  // pending waits complete with an error
  ++pending_;
  boost::asio::post(socket_.get_executor(), [this] {
    --pending_;
    settle();
  });
}

void Connection::linger() {
  ++pending_;
  socket_.async_read_some(boost::asio::buffer(linger_buf_), [this](boost::system::error_code ec, std::size_t n) {
    --pending_;
    linger_bytes_ += n;
    if (ec || linger_bytes_ > kLingerBytes || !socket_.is_open()) {
      boost::system::error_code ignored;
      socket_.close(ignored);
      return settle();
    }
    linger();
  });
}

void Connection::settle() {
  if (!ending_ || pending_ > 0 || settled_) return;
  for (auto it = streams_.begin(); it != streams_.end();) {
    // A stream already closed here waits for its handler (forget()).
    if (!it->second->closed() && it->second->on_closed())
      it = streams_.erase(it);
    else
      ++it;
  }
  if (!streams_.empty()) return;  // a handler still finishing: forget() comes back here
  settled_ = true;
  worker_.destroy(this);
}

void Connection::forget(std::int32_t id) {
  streams_.erase(id);
  if (ending_) post([] {});  // settle, from outside the stream that called
}

Stream* Connection::find(std::int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Connection::note_reset() {
  // CVE-2023-44487: HEADERS then RST_STREAM in a loop makes a server start
  // work it never finishes, without ever exceeding the stream limit.
  const auto now = Steady::now();
  if (now - resets_window_ >= std::chrono::seconds(1)) {
    resets_window_ = now;
    resets_ = 0;
  }
  if (++resets_ <= view_->config().server.http2.max_resets_per_second) return;
  if (resets_ == view_->config().server.http2.max_resets_per_second + 1)
    log::warn("[h2] {}: more than {} stream resets in a second (rapid reset): GOAWAY, connection closed",
              peer_.remote_ip, view_->config().server.http2.max_resets_per_second);
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

// ---- nghttp2 callbacks ----

int Connection::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_unique<Stream>(*this, frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session_, frame->hd.stream_id, stream.get());
  streams_[frame->hd.stream_id] = std::move(stream);
  return 0;
}

int Connection::on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (auto* s = find(frame->hd.stream_id)) s->on_field(name, value);
  return 0;
}

int Connection::on_frame_recv(const nghttp2_frame* frame) {
  const std::int32_t id = frame->hd.stream_id;
  const bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (auto* s = find(id)) {
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
          s->on_head(end_stream);
        else if (end_stream)  // trailers end the body
          s->on_remote_end();
      }
      break;
    case NGHTTP2_DATA:
      if (end_stream)
        if (auto* s = find(id)) s->on_remote_end();
      break;
    case NGHTTP2_RST_STREAM:
      note_reset();
      break;
    default:
      break;
  }
  return 0;
}

int Connection::on_data(std::int32_t id, std::string_view data) {
  if (auto* s = find(id))
    s->on_data(data);
  else
    nghttp2_session_consume(session_, id, data.size());
  return 0;
}

int Connection::on_frame_send(const nghttp2_frame* frame) {
  // A reset the client provoked with a malformed frame (a zero WINDOW_UPDATE,
  // DATA on a closed stream: the 2025 "MadeYouReset" variant) counts as one
  // it sent itself; our own resets (NO_ERROR, CANCEL, INTERNAL_ERROR) do not.
  if (frame->hd.type == NGHTTP2_RST_STREAM) {
    const auto code = frame->rst_stream.error_code;
    if (code == NGHTTP2_PROTOCOL_ERROR || code == NGHTTP2_FLOW_CONTROL_ERROR || code == NGHTTP2_STREAM_CLOSED ||
        code == NGHTTP2_FRAME_SIZE_ERROR)
      note_reset();
    return 0;
  }
  if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    if (auto* s = find(frame->hd.stream_id)) s->on_response_sent();
  return 0;
}

int Connection::on_stream_close(std::int32_t id, std::uint32_t) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return 0;
  if (it->second->on_closed()) streams_.erase(it);  // else its handler finishes first, then forget()
  if (streams_.empty()) deadline_ = Steady::now() + view_->config().server.limits.keepalive_timeout;
  return 0;
}

void Connection::write_done_ready(std::int32_t id) { done_ready_.push_back(id); }

}  // namespace gatehouse::h2

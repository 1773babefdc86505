// The connection state machine: Idle -> Head -> (Body) -> Write -> Idle, or
// Linger after a response that closes the connection. Exactly one
// asynchronous operation is pending at any time (the session's, or its
// handler's); its completion is the only place a session ends (destroy), so
// the worker can close a socket at any moment without racing a handler.
#include "http/session.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "handlers/php_handler.hpp"
#include "http/path.hpp"
#include "http/request_filter.hpp"
#include "http/response.hpp"
#include "http/rewriting.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

using Steady = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kSendfileChunk = 1 << 20;
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::uint64_t kLingerBytes = 1 << 20;
// File parts up to this size are copied behind the head and leave in one
// send(): measured faster than send + sendfile, which costs a second segment.
constexpr std::uint64_t kInlineBody = 16 * 1024;

// Appends [offset, offset+length) of `fd` to `out`; false on a short read
// (the file changed), and then the caller falls back to sendfile.
bool append_file_part(std::string& out, int fd, std::uint64_t offset, std::uint64_t length) {
  auto at = out.size();
  out.resize(at + length);
  auto n = ::pread(fd, out.data() + at, length, static_cast<off_t>(offset));
  if (n == static_cast<ssize_t>(length)) return true;
  out.resize(at);
  return false;
}

}  // namespace

Session::Session(Worker& worker, boost::asio::ip::tcp::socket socket, const tls::PortContexts* tls)
    : worker_(worker), view_(worker.view()), socket_(std::move(socket)), fd_(socket_.native_handle()) {
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec);
  local_ip_ = local.address();
  peer_.local_ip = local_ip_.to_string();
  peer_.local_port = local.port();
  auto remote = socket_.remote_endpoint(ec);
  peer_.remote_ip = remote.address().to_string();
  peer_.remote_port = remote.port();
  socket_.native_non_blocking(true, ec);
  if (tls) {
    tls_ = std::make_unique<tls::Connection>(*tls, fd_);
    peer_.https = true;
  }
}

Session::~Session() = default;

const config::Limits& Session::limits() const { return view_->config().server.limits; }

void Session::start() {
  deadline_ = Steady::now() + limits().header_timeout;  // a new connection must send a request promptly
  if (!begin_forwarding()) return destroy();
  if (tls_) return tls_handshake();  // within the same deadline (a PROXY header is refused on https ports)
  begin_request();
}

void Session::close() {
  if (pipeline_.handler() && pipeline_.handler()->on_deadline()) return;  // e.g. a PHP timeout: the handler answers 500
  boost::system::error_code ec;
  socket_.close(ec);
}

void Session::drain(bool gentle) {
  draining_ = true;
  gentle_ = gentle;
  if (!gentle && phase_ == Phase::Idle) close();
}

void Session::destroy() {
  // A handler with an operation pending calls abort() again once it has ended.
  if (pipeline_.handler() && !pipeline_.handler()->may_destroy()) return;
  worker_.destroy(this);
}

// ---- Reading and parsing ----

void Session::begin_request() {
  in_flight_.reset();  // the previous request (if any) was answered
  request_.clear();
  if (forwarding_.port.forwarded_headers) apply_forwarded_headers();  // a bad head is not the last client's
  parser_.emplace(request_, limits());
  out_.clear();
  out_sent_ = 0;
  sent_bytes_ = 0;
  view_ = worker_.view();  // after a reload, this request takes the new snapshot
  pipeline_.reset(*view_);
  status_ = substatus_ = 0;
  win32_ = 0;
  log_as_.reset();
  keep_body_ = false;
  body_.clear();
  last_ = false;
  wait_cap_ = SteadyTime::max();
  if (buffer_.size() == 0) {
    phase_ = Phase::Idle;
    if (!first_request_) deadline_ = Steady::now() + limits().keepalive_timeout;
    do_read();
    return;
  }
  // Pipelined: the next request is already here. Go through the io_context so
  // a long pipeline does not recurse on the stack.
  phase_ = Phase::Head;
  request_start_ = Steady::now();
  in_flight_ = worker_.traffic().arrive();
  deadline_ = request_start_ + limits().header_timeout;
  boost::asio::post(socket_.get_executor(), [this] {
    if (!socket_.is_open()) return destroy();
    parse();
  });
}

void Session::do_read() {
  if (draining_ && !gentle_ && phase_ == Phase::Idle) return destroy();
  if (tls_) return tls_read();
  socket_.async_read_some(buffer_.prepare(kReadSize),
                          [this](boost::system::error_code ec, std::size_t n) { on_read(ec, n); });
}

void Session::on_read(boost::system::error_code ec, std::size_t n) {
  if (ec) return destroy();  // peer gone, or closed by a deadline or a drain
  buffer_.commit(n);
  if (forwarding_.proxy_pending && !take_proxy_header()) return;
  auto now = Steady::now();
  if (phase_ == Phase::Idle) {
    phase_ = Phase::Head;
    request_start_ = now;
    in_flight_ = worker_.traffic().arrive();
    deadline_ = now + limits().header_timeout;  // the whole head, however slowly it trickles
  } else if (phase_ == Phase::Body) {
    deadline_ = now + limits().body_timeout;  // the longest gap between body reads
  }
  parse();
}

void Session::parse() {
  for (;;) {
    if (phase_ == Phase::Head && !parser_->is_header_done() &&
        has_obs_fold({static_cast<const char*>(buffer_.data().data()), buffer_.size()},
                     !request_.method_text.empty())) {
      request_.reject_status = 400;
      request_.reject_detail = "A header field is folded over several lines (obs-fold).";
      return on_parse_error(bhttp::error::bad_field);
    }
    boost::system::error_code ec;
    auto used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec && ec != bhttp::error::need_more) return on_parse_error(ec);
    if (body_reader_ && (!body_.empty() || parser_->is_done())) return deliver_body();
    if (ec == bhttp::error::need_more) return do_read();
    if (parser_->is_done()) {
      phase_ = Phase::Write;
      if (pipeline_.deferred()) return pipeline_.resume();  // a static answer that waited for the body
      return process();
    }
    if (phase_ == Phase::Head && parser_->is_header_done()) return on_header_done();
    if (used == 0) return do_read();  // a body part is still to come (Beast does not say need_more here)
  }
}

void Session::on_header_done() {
  // A body is drained before a static answer (the handler has no use for
  // it), within max_allowed_content_length and body_timeout, so the
  // connection stays usable; a handler that reads it gets it as a stream.
  phase_ = Phase::Body;
  parser_->eager(true);
  parser_->set_sink(this);
  deadline_ = Steady::now() + limits().body_timeout;
  if (boost::beast::iequals({request_.expect.data(), request_.expect.size()}, "100-continue") && buffer_.size() == 0) {
    // The client waits for this before sending its body. 25 bytes into an
    // idle socket buffer: a short write is not worth handling, the client
    // then sends the body after its own wait.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (tls_)
      (void)tls_->write(kContinue.data(), kContinue.size());
    else
      (void)::send(fd_, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
  }
  // Routed as soon as the head is complete: a handler may stream the body;
  // a static answer drains it first (dispatch defers it).
  process();
}

void Session::on_body(std::string_view chunk) {
  if (keep_body_) body_.append(chunk);
}

std::optional<std::uint64_t> Session::body_length() const {
  auto length = parser_->content_length();
  if (!length) return std::nullopt;
  return *length;
}

void Session::read_body(handlers::BodyChunk chunk) {
  keep_body_ = true;
  body_reader_ = std::move(chunk);
  phase_ = Phase::Body;
  if (!body_.empty() || parser_->is_done()) return deliver_body();
  deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);
  parse();  // what is buffered first, then the socket
}

void Session::deliver_body() {
  auto reader = std::move(body_reader_);
  body_reader_ = nullptr;
  if (parser_->is_done() && body_.empty()) phase_ = Phase::Write;
  std::string chunk = std::move(body_);
  body_.clear();
  reader(chunk);  // may end the exchange: nothing may follow
}

void Session::on_parse_error(boost::system::error_code ec) {
  pipeline_.drop_handler();  // a worker that got part of a body is abandoned (recycled), never reused
  body_reader_ = nullptr;
  unsigned status = 400, sub = 0;
  std::string_view detail = "The request could not be parsed.";
  if (request_.reject_status) {
    status = request_.reject_status, sub = request_.reject_substatus;
    detail = request_.reject_detail;
  } else if (ec == bhttp::error::header_limit) {
    // Beast consumes the request line once it has parsed it: when it did,
    // what overflowed is a header field, not the URL.
    auto data = static_cast<const char*>(buffer_.data().data());
    bool line_done =
        !request_.method_text.empty() || std::string_view(data, buffer_.size()).find('\n') != std::string_view::npos;
    status = line_done ? 431 : 414;
    detail = line_done ? "The request headers are too large." : "The URL is too long.";
  } else if (ec == bhttp::error::body_limit) {
    status = 413, sub = 13;
    detail = "The request body is larger than the server accepts.";
  }
  if (!request_.method_text.empty()) pipeline_.set_canonical(request_.path());
  phase_ = Phase::Write;
  error_response(status, sub, detail, true);
}

// ---- Routing, authorization and dispatch ----

void Session::process() {
  keep_alive_ = parser_->keep_alive() && !draining_ && !worker_.draining();
  if (forwarding_.port.forwarded_headers) apply_forwarded_headers();
  std::string_view path = request_.path();
  if (request_.version >= 11 && request_.host.empty())
    return error_response(400, 0, "HTTP/1.1 requests must carry a Host header.", true);
  if (path.starts_with("http://") || path.starts_with("https://")) {
    // Absolute-form (RFC 9112 3.2.2): the target's authority is the host and
    // the received Host is ignored, for routing and for everything PHP sees.
    auto rest = path.substr(path.find("//") + 2);
    auto slash = rest.find('/');
    request_.host = rest.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (request_.host.empty()) return error_response(400, 0, "The request target has no authority.", true);
  }
  pipeline_.run(request_.host, path);
}

void Session::send_static(handlers::StaticAnswer& a) {
  std::array<handlers::HeaderView, 6> fields;
  auto n = a.fields(fields);
  std::optional<std::uint64_t> length = a.length;
  write_head({a.status, {}, std::span(fields.data(), n), length});
  last_ = true;
  if (discard_body_ || a.length == 0) return flush();
  if (a.bytes) {
    out_.append(*a.bytes, a.offset, a.length);
  } else if (a.length > kInlineBody || !append_file_part(out_, a.file.fd(), a.offset, a.length)) {
    file_ = std::move(a.file);
    file_offset_ = a.offset;
    file_left_ = a.length;
  }
  flush();
}

// ---- The one response writer ----

void Session::write_head(const handlers::ResponseHead& head) {
  const bool is_head = request_.method == bhttp::verb::head;
  framing_ = choose_framing(head.status, is_head, request_.version, head.length);
  if (framing_ == Framing::Close) keep_alive_ = false;
  discard_body_ = is_head || framing_ == Framing::None;
  length_left_ = framing_ == Framing::Length && !is_head ? head.length : std::optional<std::uint64_t>(0);
  status_ = head.status;
  append_head(out_, head, {worker_.clock().http_date(), framing_, keep_alive_, request_.version});
  const config::Site* site = pipeline_.site();
  if (tls_ && site && site->tls.hsts.count() > 0)  // before the blank line that ends the head
    out_.insert(out_.size() - 2, fmt::format("Strict-Transport-Security: max-age={}\r\n", site->tls.hsts.count()));
}

void Session::write_body(std::string_view data, bool last, handlers::WriteDone done) {
  if (!discard_body_) {
    switch (framing_) {
      case Framing::Chunked:
        append_chunk(out_, data);
        if (last) out_.append(kLastChunk);
        break;
      case Framing::Length:
        if (data.size() > *length_left_) {  // more than announced: cut, and close after
          data = data.substr(0, *length_left_);
          keep_alive_ = false;
        }
        *length_left_ -= data.size();
        out_.append(data);
        if (last && *length_left_ > 0) {
          log::warn("{}: the response ended {} bytes short of its Content-Length", pipeline_.canonical(),
                    *length_left_);
          keep_alive_ = false;  // the client cannot tell where this response ends
        }
        break;
      default:
        out_.append(data);
    }
  }
  last_ = last;
  write_done_ = std::move(done);
  flush();
}

void Session::answer_error(unsigned status, unsigned substatus, std::string_view detail) {
  out_.clear();
  out_sent_ = 0;
  phase_ = Phase::Write;
  error_response(status, substatus, detail, false);
}

void Session::error_response(unsigned status, unsigned substatus, std::string_view detail, bool close,
                             handlers::HeaderView extra) {
  // A body still on its way cannot be skipped reliably: close after the answer.
  if (close || !parser_->is_done()) keep_alive_ = false;
  substatus_ = substatus;
  auto page = error_page(scratch_, status, substatus, detail);
  handlers::HeaderView fields[] = {{"Content-Type", "text/html; charset=utf-8"}, extra};
  write_head({status, {}, std::span(fields, extra.value.empty() ? 1 : 2), page.size()});
  last_ = true;
  if (!discard_body_) out_.append(page);
  flush();
}

void Session::redirect_response(unsigned status, std::string_view location) {
  handlers::HeaderView fields[] = {{"Location", location}};
  write_head({status, {}, fields, 0});
  last_ = true;
  flush();
}

void Session::flush() {
  if (tls_) {
    if (tls_flush()) on_flushed();
    return;
  }
  while (out_sent_ < out_.size()) {
    int flags = MSG_NOSIGNAL | (file_left_ ? MSG_MORE : 0);
    auto n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return wait_writable();
      return destroy();
    }
    out_sent_ += static_cast<std::size_t>(n);
    sent_bytes_ += static_cast<std::uint64_t>(n);
  }
  while (file_left_ > 0) {
    auto offset = static_cast<off_t>(file_offset_);
    auto n = ::sendfile(fd_, file_.fd(), &offset, std::min<std::uint64_t>(file_left_, kSendfileChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return wait_writable();
      return destroy();
    }
    if (n == 0) return destroy();  // the file shrank under us: the promised length cannot be sent
    file_offset_ += static_cast<std::uint64_t>(n);
    file_left_ -= static_cast<std::uint64_t>(n);
    sent_bytes_ += static_cast<std::uint64_t>(n);
  }
  on_flushed();
}

void Session::wait_writable() {
  // A reader that stops reading is cut (and holds a handler back for at most that long).
  deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, [this](boost::system::error_code ec) {
    if (ec) return destroy();
    flush();
  });
}

void Session::on_flushed() {
  out_.clear();
  out_sent_ = 0;
  if (last_) return on_response_done();
  auto done = std::move(write_done_);
  write_done_ = nullptr;
  if (done) done();  // the handler goes on: nothing may follow
}

void Session::on_response_done() {
  log_request();
  file_ = handlers::OpenFile{};
  first_request_ = false;
  // Gentle: a response that promised keep-alive before the drain began is
  // kept; the next one says Connection: close.
  if (!keep_alive_ || (draining_ && !gentle_)) return linger();
  begin_request();
}

void Session::linger() {
  // Half-close and read what the client still sends, so the kernel does not
  // answer its unread bytes with a reset that would destroy our response.
  phase_ = Phase::Linger;
  in_flight_.reset();          // answered: what follows is only the close
  if (tls_) tls_->shutdown();  // close_notify: the response ends here, not truncated
  boost::system::error_code ec;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return destroy();
  deadline_ = Steady::now() + kLinger;
  request_.body_bytes = 0;  // reused as the count of bytes read while lingering
  linger_read();
}

void Session::linger_read() {
  buffer_.clear();
  socket_.async_read_some(buffer_.prepare(kReadSize), [this](boost::system::error_code ec, std::size_t n) {
    request_.body_bytes += n;
    if (ec || request_.body_bytes > kLingerBytes) return destroy();
    linger_read();
  });
}

void Session::log_request() {
  AccessRecord r = pipeline_.record(Steady::now() - request_start_);
  r.status = log_as_ ? log_as_->first : status_;
  r.substatus = log_as_ ? log_as_->second : substatus_;
  r.win32_status = win32_;
  r.bytes_sent = sent_bytes_;
  r.protocol = request_.version >= 11 ? "HTTP/1.1" : request_.version == 10 ? "HTTP/1.0" : "-";
  if (tls_) r.tls_version = tls_->version();
  view_->log(pipeline_.log_slot(), r);
}

}  // namespace gatehouse::http

// An HTTP/2 stream as a handlers::Port and an http::Exchange. Nothing here
// calls into nghttp2's send or receive: the stream submits and asks the
// connection to kick, so no callback runs inside another.
#include "h2/stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstring>

#include "common/log.hpp"
#include "h2/connection.hpp"
#include "http/response.hpp"

namespace gatehouse::h2 {
namespace {

using Steady = std::chrono::steady_clock;

// Fields that belong to one HTTP/1.1 connection: never sent over HTTP/2
// (RFC 9113 8.2.2; a client treats them as a malformed response).
bool connection_specific(std::string_view name) {
  for (std::string_view f : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
    if (boost::beast::iequals({name.data(), name.size()}, {f.data(), f.size()})) return true;
  return false;
}

}  // namespace

Stream::Stream(Connection& connection, std::int32_t id)
    : conn_(connection),
      id_(id),
      view_(connection.worker().view()),
      head_builder_(request_, view_->config().server.limits),
      pipeline_(connection.worker(), *this, connection.worker().io().get_executor()),
      start_(Steady::now()),
      deadline_(start_ + view_->config().server.limits.header_timeout),  // the header block, however slowly
      in_flight_(connection.worker().traffic().arrive()) {}

Stream::~Stream() = default;

const handlers::Peer& Stream::peer() const { return forwarded_peer_ ? *forwarded_peer_ : conn_.peer(); }
const boost::asio::ip::address& Stream::local_address() const { return conn_.local_address(); }
bool Stream::open() const { return !closed_ && !aborted_ && conn_.open(); }
int Stream::client_fd() const { return conn_.fd(); }

void Stream::on_field(std::string_view name, std::string_view value) {
  if (!head_done_) head_builder_.add(name, value);  // trailer fields are neither stored nor used
}

void Stream::on_head(bool end_stream) {
  head_done_ = true;
  remote_ended_ = end_stream;
  pipeline_.reset(*view_);
  start_ = Steady::now();
  deadline_ = SteadyTime::max();  // the pipeline or the handler sets it from here
  if (head_builder_.finish())
    return error_response(request_.reject_status, request_.reject_substatus, request_.reject_detail, true);
  apply_forwarding();
  if (auto length = head_builder_.content_length(); length && *length > limits().max_allowed_content_length)
    return error_response(413, 13, "The request body is larger than the server accepts.", true);
  pipeline_.run(request_.host, request_.path());
}

void Stream::on_data(std::string_view data) {
  request_.body_bytes += data.size();
  if (!drop_body_ && request_.body_bytes > limits().max_allowed_content_length) {
    // Over the limit as it streams (HTTP/2 needs no Content-Length): 413,
    // as HTTP/1.1 answers a chunked body that grows too large.
    nghttp2_session_consume(conn_.session(), id_, data.size());
    if (head_written_) return abort();
    pipeline_.drop_handler();
    return error_response(413, 13, "The request body is larger than the server accepts.", true);
  }
  if (drop_body_) {
    if (pipeline_.deferred()) deadline_ = Steady::now() + limits().body_timeout;  // progress
    nghttp2_session_consume(conn_.session(), id_, data.size());                   // the window reopens, the bytes go
    return conn_.kick();
  }
  // Bounded by the stream's window: the client may send no more until the
  // handler takes these (deliver_body consumes them).
  body_.append(data);
  if (body_reader_) deliver_body();
}

void Stream::on_remote_end() {
  remote_ended_ = true;
  if (body_reader_) return deliver_body();
  if (drop_body_ && pipeline_.deferred()) pipeline_.resume();
}

void Stream::read_body(handlers::BodyChunk chunk) {
  body_reader_ = std::move(chunk);
  if (!body_.empty() || remote_ended_) return deliver_body();
  deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);  // the longest gap between body parts
}

void Stream::deliver_body() {
  auto reader = std::move(body_reader_);
  body_reader_ = nullptr;
  std::string chunk = std::move(body_);
  body_.clear();
  if (!chunk.empty()) {
    nghttp2_session_consume(conn_.session(), id_, chunk.size());
    conn_.kick();
  }
  reader(chunk);  // may end the exchange: nothing may follow
}

void Stream::drain_body() {
  drain_body_bytes();
  conn_.kick();
  if (remote_ended_) return pipeline_.resume();
  deadline_ = Steady::now() + limits().body_timeout;  // the rest of the body comes, or the stream goes
}

// ---- The response ----

void Stream::write_head(const handlers::ResponseHead& head) {
  head_written_ = true;
  status_ = head.status;
  discard_body_ = request_.method == boost::beast::http::verb::head || !handlers::body_allowed(head.status);
  // One buffer for every name and value (names lower-cased, as HTTP/2
  // requires); nv_ points into it once it is complete.
  std::string_view date = conn_.worker().clock().http_date();
  std::size_t need = 192 + date.size();
  for (const auto& f : head.fields) need += f.name.size() + f.value.size();
  head_text_.clear();
  head_text_.reserve(need);
  // name offset, name size, value offset, value size: on the stack for a usual head
  boost::container::small_vector<std::array<std::size_t, 4>, 24> at;
  auto add = [&](std::string_view name, std::string_view value) {
    const std::size_t n = head_text_.size();
    head_text_.append(name);
    char* c = head_text_.data() + n;
    for (char* const end = c + name.size(); c != end; ++c)  // end kept: a char store could alias the size
      *c = static_cast<char>(*c | ((*c >= 'A' && *c <= 'Z') ? 0x20 : 0));
    head_text_.append(value);
    at.push_back({n, name.size(), n + name.size(), value.size()});
  };
  char number[24];
  auto digits = [&](std::uint64_t v) {
    auto [end, ec] = std::to_chars(number, number + sizeof number, v);
    return std::string_view(number, static_cast<std::size_t>(end - number));
  };
  add(":status", digits(head.status));
  add("server", "Gatehouse");
  add("date", date);
  for (const auto& f : head.fields)
    if (!f.name.empty() && !connection_specific(f.name)) add(f.name, f.value);
  if (head.length && handlers::body_allowed(head.status)) add("content-length", digits(*head.length));
  const config::Site* site = pipeline_.site();
  if (site && site->tls.hsts.count() > 0) {
    std::string hsts = "max-age=" + std::to_string(site->tls.hsts.count());
    add("strict-transport-security", hsts);
  }
  auto* base = reinterpret_cast<std::uint8_t*>(head_text_.data());
  nv_.clear();
  nv_.reserve(at.size());
  for (const auto& [name, name_len, value, value_len] : at)
    nv_.push_back({base + name, base + value, name_len, value_len, NGHTTP2_NV_FLAG_NONE});
}

void Stream::write_body(std::string_view data, bool last, handlers::WriteDone done) {
  if (closed_ || aborted_) return;  // the client is gone: the handler ends through may_destroy
  if (!discard_body_) out_.append(data);
  last_ = last;
  write_done_ = std::move(done);
  // The client must take these within body_timeout (a window it never opens
  // holds the stream no longer); read_response renews it on progress.
  if (!out_.empty() || file_left_ > 0) deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);
  if (!submitted_)
    submit();
  else
    nghttp2_session_resume_data(conn_.session(), id_);
  conn_.kick();
}

namespace {
ssize_t read_source(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length, std::uint32_t* flags,
                    nghttp2_data_source* source, void*) {
  return static_cast<Stream*>(source->ptr)->read_response(buf, length, flags);
}
}  // namespace

void Stream::submit() {
  submitted_ = true;
  int rc;
  if (last_ && out_.empty() && file_left_ == 0) {
    rc = nghttp2_submit_response(conn_.session(), id_, nv_.data(), nv_.size(), nullptr);  // END_STREAM on HEADERS
  } else {
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = read_source;
    rc = nghttp2_submit_response(conn_.session(), id_, nv_.data(), nv_.size(), &provider);
  }
  if (rc != 0) {
    log::warn("[h2] stream {}: response not submitted: {}", id_, nghttp2_strerror(rc));
    abort();
  }
}

// nghttp2 asks for the next DATA frame's payload only when the client's
// windows (stream and connection) allow it and the socket took the last
// frames: this is the backpressure. The file is read a frame at a time.
ssize_t Stream::read_response(std::uint8_t* buf, std::size_t length, std::uint32_t* flags) {
  std::size_t n = 0;
  if (out_sent_ < out_.size()) {
    n = std::min(length, out_.size() - out_sent_);
    std::memcpy(buf, out_.data() + out_sent_, n);
    out_sent_ += n;
  } else if (file_left_ > 0) {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(length, file_left_));
    auto got = ::pread(file_.fd(), buf, n, static_cast<off_t>(file_offset_));
    if (got != static_cast<ssize_t>(n)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the file shrank: reset
    file_offset_ += n;
    file_left_ -= n;
  }
  sent_bytes_ += n;
  if (out_sent_ < out_.size() || file_left_ > 0) {
    deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);  // the client holds the rest
    return static_cast<ssize_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  if (last_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  if (write_done_) {  // all taken: the handler may write again, once this send loop is over
    done_ready_ = std::move(write_done_);
    write_done_ = nullptr;
    conn_.write_done_ready(id_);
  }
  return n > 0 ? static_cast<ssize_t>(n) : NGHTTP2_ERR_DEFERRED;
}

void Stream::run_write_done() {
  auto done = std::move(done_ready_);
  done_ready_ = nullptr;
  if (done && !closed_ && !aborted_) done();
}

void Stream::on_response_sent() {
  log_request();
  file_ = handlers::OpenFile{};
  // The client may still be sending a body nobody reads: stop it (RFC 9113 8.1).
  if (!remote_ended_) nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
}

void Stream::error_response(unsigned status, unsigned substatus, std::string_view detail, bool,
                            handlers::HeaderView extra) {
  if (head_written_) return abort();
  substatus_ = substatus;
  if (!remote_ended_) drain_body_bytes();
  auto page = http::error_page(scratch_, status, substatus, detail);
  handlers::HeaderView fields[] = {{"Content-Type", "text/html; charset=utf-8"}, extra};
  write_head({status, {}, std::span(fields, extra.value.empty() ? 1 : 2), page.size()});
  write_body(page, true, nullptr);
}

void Stream::drain_body_bytes() {
  drop_body_ = true;
  body_reader_ = nullptr;
  if (!body_.empty()) {
    nghttp2_session_consume(conn_.session(), id_, body_.size());
    body_.clear();
  }
}

void Stream::redirect_response(unsigned status, std::string_view location) {
  handlers::HeaderView fields[] = {{"Location", location}};
  write_head({status, {}, fields, 0});
  write_body({}, true, nullptr);
}

void Stream::send_static(handlers::StaticAnswer& a) {
  std::array<handlers::HeaderView, 6> fields;
  auto n = a.fields(fields);
  write_head({a.status, {}, std::span(fields.data(), n), a.length});
  if (!discard_body_ && a.length > 0) {
    if (a.bytes) {
      out_.append(*a.bytes, a.offset, a.length);  // the cache entry may go at the next tick
    } else {
      file_ = std::move(a.file);
      file_offset_ = a.offset;
      file_left_ = a.length;
    }
  }
  write_body({}, true, nullptr);
}

void Stream::answer_error(unsigned status, unsigned substatus, std::string_view detail) {
  if (head_written_) return abort();
  error_response(status, substatus, detail, false);
}

void Stream::abort() {
  if (auto* h = pipeline_.handler(); h && !h->may_destroy()) return;  // it calls abort() again when it may
  if (closed_) return conn_.forget(id_);                              // deletes this
  if (aborted_) return;
  aborted_ = true;
  nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
  conn_.kick();
}

void Stream::expire() {
  if (auto* h = pipeline_.handler(); h && h->on_deadline()) return;  // e.g. PHP's timeout: it answers 500
  deadline_ = SteadyTime::max();
  if (closed_ || aborted_) return;
  aborted_ = true;
  nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
  conn_.kick();
}

bool Stream::on_closed() {
  closed_ = true;
  deadline_ = SteadyTime::max();
  if (head_done_) log_request();  // a reset request is logged too
  body_reader_ = nullptr;
  write_done_ = nullptr;
  done_ready_ = nullptr;
  auto* h = pipeline_.handler();
  return !h || h->may_destroy();
}

void Stream::log_request() {
  if (logged_) return;
  logged_ = true;
  auto r = pipeline_.record(Steady::now() - start_);
  r.status = log_as_ ? log_as_->first : status_;
  r.substatus = log_as_ ? log_as_->second : substatus_;
  r.win32_status = win32_;
  r.bytes_sent = sent_bytes_;
  r.protocol = "HTTP/2";
  r.tls_version = conn_.tls_version();
  view_->log(pipeline_.log_slot(), r);
}

}  // namespace gatehouse::h2

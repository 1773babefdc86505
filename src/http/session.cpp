// The connection state machine: Idle -> Head -> (Body) -> Write -> Idle, or
// Linger after a response that closes the connection. Exactly one
// asynchronous operation is pending at any time; its handler is the only
// place a session ends (destroy), so the worker can close a socket at any
// moment without racing a handler.
#include "http/session.hpp"

#include <fmt/format.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "http/path.hpp"
#include "http/response.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

using Steady = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kSendfileChunk = 1 << 20;
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::uint64_t kLingerBytes = 1 << 20;
// Bodies up to this size are copied behind the head and leave in one send():
// measured faster than send + sendfile, which costs a second TCP segment.
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

Session::Session(Worker& worker, boost::asio::ip::tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)), fd_(socket_.native_handle()) {
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec);
  local_ip_ = local.address();
  local_port_ = local.port();
  local_ip_text_ = local_ip_.to_string();
  auto remote = socket_.remote_endpoint(ec);
  remote_ip_text_ = remote.address().to_string();
  remote_port_ = remote.port();
  socket_.native_non_blocking(true, ec);
}

void Session::start() {
  deadline_ =
      Steady::now() + worker_.limits().header_timeout;  // a new connection must send a request promptly
  begin_request();
}

void Session::close() {
  if (php_ && php_->on_deadline()) return;  // a PHP timeout: the exchange answers 500
  boost::system::error_code ec;
  socket_.close(ec);
}

void Session::drain() {
  draining_ = true;
  if (phase_ == Phase::Idle) close();
}

void Session::destroy() {
  // A PHP exchange with I/O pending on its worker calls destroy() again once that I/O has ended.
  if (php_ && !php_->may_destroy()) return;
  worker_.destroy(this);
}

void Session::begin_request() {
  request_.clear();
  parser_.emplace(request_, worker_.limits());
  out_.clear();
  out_sent_ = 0;
  canonical_.clear();
  log_slot_ = worker_.unrouted_slot();
  status_ = substatus_ = 0;
  win32_ = 0;
  grant_ = nullptr;
  user_grant_.reset();
  deferred_site_ = nullptr;
  if (buffer_.size() == 0) {
    phase_ = Phase::Idle;
    if (!first_request_) deadline_ = Steady::now() + worker_.limits().keepalive_timeout;
    do_read();
    return;
  }
  // Pipelined: the next request is already here. Go through the io_context so
  // a long pipeline does not recurse on the stack.
  phase_ = Phase::Head;
  request_start_ = Steady::now();
  deadline_ = request_start_ + worker_.limits().header_timeout;
  boost::asio::post(socket_.get_executor(), [this] {
    if (!socket_.is_open()) return destroy();
    parse();
  });
}

void Session::do_read() {
  if (draining_ && phase_ == Phase::Idle) return destroy();
  socket_.async_read_some(buffer_.prepare(kReadSize),
                          [this](boost::system::error_code ec, std::size_t n) { on_read(ec, n); });
}

void Session::on_read(boost::system::error_code ec, std::size_t n) {
  if (ec) return destroy();  // peer gone, or closed by a deadline or a drain
  buffer_.commit(n);
  auto now = Steady::now();
  if (phase_ == Phase::Idle) {
    phase_ = Phase::Head;
    request_start_ = now;
    deadline_ = now + worker_.limits().header_timeout;  // the whole head, however slowly it trickles
  } else if (phase_ == Phase::Body) {
    deadline_ = now + worker_.limits().body_timeout;  // the longest gap between body reads
  }
  parse();
}

void Session::parse() {
  for (;;) {
    boost::system::error_code ec;
    auto used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == bhttp::error::need_more) return body_wanted();
    if (ec) return on_parse_error(ec);
    if (parser_->is_done()) {
      if (php_ && php_->in_body()) return php_->body_wanted();
      phase_ = Phase::Write;
      if (deferred_site_) {  // a static answer that waited for the body to be drained
        const SiteRoutes& site = *std::exchange(deferred_site_, nullptr);
        return answer_static(site, Router::find_mount(site, canonical_));
      }
      return process();
    }
    if (phase_ == Phase::Head && parser_->is_header_done()) return on_header_done();
    if (used == 0) return body_wanted();  // a body part is still to come (Beast does not say need_more here)
  }
}

void Session::on_header_done() {
  // A body is drained before answering (the static handler has no use for
  // it), within max_allowed_content_length and body_timeout, so the
  // connection stays usable; the PHP handler will stream it instead.
  phase_ = Phase::Body;
  parser_->eager(true);
  deadline_ = Steady::now() + worker_.limits().body_timeout;
  if (boost::beast::iequals({request_.expect.data(), request_.expect.size()}, "100-continue") && buffer_.size() == 0) {
    // The client waits for this before sending its body. 25 bytes into an
    // idle socket buffer: a short write is not worth handling, the client
    // then sends the body after its own wait.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    (void)::send(fd_, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
  }
  // Routed as soon as the head is complete: a PHP request streams its body
  // to the worker; a static one drains it first (route defers it).
  process();
}

void Session::body_wanted() {
  if (php_ && php_->in_body()) return php_->body_wanted();  // STDIN first, then more from the client
  do_read();
}

void Session::on_parse_error(boost::system::error_code ec) {
  php_.reset();  // a worker that got part of a body is abandoned (recycled), never reused
  unsigned status = 400, sub = 0;
  std::string_view detail = "The request could not be parsed.";
  if (request_.reject_status) {
    status = request_.reject_status, sub = request_.reject_substatus;
    detail =
        status == 431 ? "The request headers are too large." : "The URL or its query string is too long.";
  } else if (ec == bhttp::error::header_limit) {
    auto data = static_cast<const char*>(buffer_.data().data());
    bool line_done = std::string_view(data, buffer_.size()).find('\n') != std::string_view::npos;
    status = line_done ? 431 : 414;
    detail = line_done ? "The request headers are too large." : "The URL is too long.";
  } else if (ec == bhttp::error::body_limit) {
    status = 413, sub = 13;
    detail = "The request body is larger than the server accepts.";
  }
  if (!request_.method_text.empty()) canonical_.assign(request_.path().substr(0, 1024));
  phase_ = Phase::Write;
  answer_error(status, sub, detail, true);
}

void Session::process() {
  keep_alive_ = parser_->keep_alive() && !draining_ && !worker_.draining();
  std::string_view path = request_.path();
  std::string_view host = request_.host;
  if (path.starts_with("http://") ||
      path.starts_with("https://")) {  // absolute-form: its authority is the host
    auto rest = path.substr(path.find("//") + 2);
    auto slash = rest.find('/');
    host = rest.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  if (request_.version >= 11 && request_.host.empty())
    return answer_error(400, 0, "HTTP/1.1 requests must carry a Host header.", true);
  const SiteRoutes* site = worker_.router().find_site(local_ip_, local_port_, host);
  if (!site) return answer_error(400, 0, "Invalid Hostname.", true);
  log_slot_ = site->index;
  auto canonical = canonicalize_path(path);
  if (!canonical) {
    canonical_.assign(path.substr(0, 1024));
    return answer_error(canonical.error().status, canonical.error().substatus, canonical.error().reason,
                        true);
  }
  canonical_ = std::move(*canonical);
  auto match = Router::find_mount(*site, canonical_);
  if (!authorize(*site, match)) return;
  route(*site, match);
}

void Session::route(const SiteRoutes& site, const MountMatch& match) {
  if (handlers::names_script(canonical_, site.site->php_extensions)) return answer_script(site);
  if (!parser_->is_done()) {
    deferred_site_ = &site;  // answered once the body is drained (parse)
    return parse();
  }
  answer_static(site, match);
}

bool Session::authorize(const SiteRoutes& site, const MountMatch& match) {
  AuthGate* gate = worker_.auth_gate();
  if (!gate) return true;
  if (!match.mount || !match.mount->application) {
    answer_error(500, 0, "The request has no application.", false);
    return false;
  }
  const config::Application& app = *match.mount->application;
  Verdict verdict = gate->decide(*site.site, app, request_);
  if (verdict.kind != Verdict::Kind::CheckPassword) return admit(verdict);
  // Wait out the throttle first, so a guesser learns nothing sooner; the
  // connection's deadline covers the wait and the check.
  auth_site_ = &site;
  auth_match_ = match;
  auto delay = gate->delay_for(remote_ip_text_);
  deadline_ = Steady::now() + delay + worker_.limits().header_timeout;
  auth_timer_.expires_after(delay);
  auth_timer_.async_wait([this, gate, credentials = std::move(verdict.credentials)](
                             boost::system::error_code) mutable {
    if (!socket_.is_open()) return destroy();
    gate->check_password(socket_.get_executor(), *auth_site_->site, *auth_match_.mount->application,
                         std::move(credentials), remote_ip_text_,
                         [this](Verdict v) { on_verdict(std::move(v)); });
  });
  return false;
}

void Session::on_verdict(Verdict verdict) {
  if (!socket_.is_open()) return destroy();  // closed by its deadline or a stop meanwhile
  if (admit(verdict)) route(*auth_site_, auth_match_);
}

bool Session::admit(Verdict& verdict) {
  if (verdict.kind == Verdict::Kind::Granted) {
    user_grant_ = std::move(verdict.owned);
    grant_ = verdict.grant;
    return true;
  }
  if (verdict.status == 500)
    answer_error(500, 0, "The credentials could not be checked.", false);
  else
    answer_error(verdict.status, verdict.substatus, "Access is denied: valid credentials are required.", false,
                 verdict.challenge);
  return false;
}

void Session::answer_static(const SiteRoutes& site, const MountMatch& match) {
  if (request_.method != bhttp::verb::get && request_.method != bhttp::verb::head) {
    begin_head(out_, 405, worker_.clock().http_date());
    add_header(out_, "Allow", "GET, HEAD");
    status_ = 405;
    auto page = error_page(scratch_, 405, 0, "Static files answer GET and HEAD only.");
    add_header(out_, "Content-Type", "text/html; charset=utf-8");
    add_header(out_, "Content-Length", page.size());
    end_head(out_, keep_alive_, request_.version);
    out_.append(page);
    return write();
  }
  handlers::StaticRequest req{canonical_, match.relative, &site.site->default_documents,
                              &site.site->php_extensions};
  static const handlers::RequestIdentity kAsServer;  // no gate: the server's own account
  const handlers::RequestIdentity& who = grant_ ? grant_->who : kAsServer;
  auto& cache = worker_.file_cache();
  const auto& root = match.mount->root;
  if (const auto* hit = cache.find(root, match.relative, who))
    return answer_file(hit->validators, hit->content_type, &hit->content, nullptr);
  auto resolved = handlers::resolve_static(root, req, who);
  switch (resolved.outcome) {
    case handlers::Outcome::File:
      if (const auto* added = cache.insert(root, match.relative, who, resolved.file, resolved.content_type))
        return answer_file(added->validators, added->content_type, &added->content, nullptr);
      return answer_file(handlers::make_validators(resolved.file.stat()), resolved.content_type, nullptr,
                         &resolved.file);
    case handlers::Outcome::Redirect:
      return answer_redirect(resolved.target);
    case handlers::Outcome::Script:
      canonical_ = resolved.target;
      return answer_script(site);
    case handlers::Outcome::Error:
      win32_ = resolved.win32;
      if (resolved.status == 500)
        log::error("[site {}] open {} failed: {}", site.site->name,
                   (root.path() / std::string(match.relative)).string(), std::strerror(resolved.win32));
      return answer_error(resolved.status, resolved.substatus, "The resource cannot be served.", false);
  }
}

void Session::answer_file(const handlers::Validators& file, std::string_view content_type,
                          const std::string* content, handlers::OpenFile* open_file) {
  handlers::Conditions c{request_.if_match, request_.if_none_match, request_.if_modified_since,
                         request_.if_unmodified_since, request_.if_range};
  auto plan = handlers::plan_response(file, c, request_.range);
  status_ = plan.status;
  begin_head(out_, plan.status, worker_.clock().http_date());
  if (plan.status == 412) {
    add_header(out_, "Content-Length", std::uint64_t{0});
    end_head(out_, keep_alive_, request_.version);
    return write();
  }
  add_header(out_, "ETag", file.etag.view());
  add_header(out_, "Last-Modified", std::string_view(file.last_modified, handlers::kHttpDateSize));
  if (plan.status != 304) {
    add_header(out_, "Content-Type", content_type);
    add_header(out_, "Accept-Ranges", "bytes");
    add_header(out_, "Content-Length", plan.length);
  }
  if (plan.status == 206) {
    add_header(out_, "Content-Range",
               fmt::format("bytes {}-{}/{}", plan.offset, plan.offset + plan.length - 1, file.size));
  } else if (plan.status == 416) {
    add_header(out_, "Content-Range", fmt::format("bytes */{}", file.size));
  }
  end_head(out_, keep_alive_, request_.version);
  if (request_.method == bhttp::verb::head || plan.length == 0) return write();
  if (content) {
    out_.append(*content, plan.offset, plan.length);
  } else if (plan.length > kInlineBody ||
             !append_file_part(out_, open_file->fd(), plan.offset, plan.length)) {
    file_ = std::move(*open_file);
    file_offset_ = plan.offset;
    file_left_ = plan.length;
  }
  write();
}

void Session::answer_script(const SiteRoutes& site) {
  // Without a pool set (unit tests of the static side) scripts are refused
  // like IIS refuses an extension without a handler, and never sent as text.
  if (!worker_.php()) return answer_error(404, 3, "No handler is configured for scripts.", false);
  static const handlers::RequestIdentity kAsServer;  // no gate: the server's own account
  php_ = std::make_unique<PhpExchange>(*this);
  php_->start(site, canonical_, grant_ ? grant_->who : kAsServer);
}

void Session::answer_redirect(const std::string& target) {
  status_ = 301;
  begin_head(out_, 301, worker_.clock().http_date());
  scratch_.clear();
  append_encoded_path(scratch_, target);
  if (auto q = request_.query(); !q.empty()) scratch_.append("?").append(q);
  add_header(out_, "Location", scratch_);
  add_header(out_, "Content-Length", std::uint64_t{0});
  end_head(out_, keep_alive_, request_.version);
  write();
}

void Session::answer_error(unsigned status, unsigned substatus, std::string_view detail, bool close,
                           std::string_view challenge) {
  // A body still on its way cannot be skipped reliably: close after the answer.
  if (close || !parser_->is_done()) keep_alive_ = false;
  status_ = status;
  substatus_ = substatus;
  begin_head(out_, status, worker_.clock().http_date());
  auto page = error_page(scratch_, status, substatus, detail);
  add_header(out_, "Content-Type", "text/html; charset=utf-8");
  add_header(out_, "Content-Length", page.size());
  if (!challenge.empty()) add_header(out_, "WWW-Authenticate", challenge);
  end_head(out_, keep_alive_, request_.version);
  if (request_.method != bhttp::verb::head) out_.append(page);
  write();
}

void Session::write() {
  while (out_sent_ < out_.size()) {
    int flags = MSG_NOSIGNAL | (file_left_ ? MSG_MORE : 0);
    auto n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return wait_writable();
      return destroy();
    }
    out_sent_ += static_cast<std::size_t>(n);
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
  }
  on_response_done();
}

void Session::wait_writable() {
  deadline_ = Steady::now() + worker_.limits().body_timeout;  // a reader that stops reading is cut
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, [this](boost::system::error_code ec) {
    if (ec) return destroy();
    write();
  });
}

void Session::on_response_done() {
  log_request();
  file_ = handlers::OpenFile{};
  first_request_ = false;
  if (!keep_alive_ || draining_) return linger();
  begin_request();
}

void Session::linger() {
  // Half-close and read what the client still sends, so the kernel does not
  // answer its unread bytes with a reset that would destroy our response.
  phase_ = Phase::Linger;
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
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - request_start_).count();
  AccessRecord r;
  r.date_time = worker_.clock().w3c_date_time();
  r.server_ip = local_ip_text_;
  r.method = request_.method_text;
  r.uri_stem = canonical_;
  r.uri_query = request_.query().substr(0, 2048);
  r.server_port = local_port_;
  if (grant_) r.username = grant_->remote_user;
  r.client_ip = remote_ip_text_;
  r.user_agent = request_.user_agent;
  r.referer = request_.referer;
  r.status = status_;
  r.substatus = substatus_;
  r.win32_status = win32_;
  r.time_taken_ms = static_cast<std::uint64_t>(elapsed);
  worker_.log(log_slot_, r);
}

}  // namespace gatehouse::http

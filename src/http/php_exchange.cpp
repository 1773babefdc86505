// The PHP request's stages, strictly one asynchronous operation at a time
// (pool, worker or client), so the session's rule "the pending operation's
// handler is the only place it ends" still holds: Resolve -> Acquire ->
// Begin -> Body (client read / STDIN write, alternating) -> Output (worker
// read / client write, alternating) -> Done.
//
// The response head is held back until END_REQUEST or until kResponseBuffer
// bytes of body arrived (IIS's responseBufferLimit does the same): a small
// response then leaves in one send() with a Content-Length, and stderr that
// arrives with it can still turn it into a 500. Past that, the body streams
// (chunked, or close-delimited for HTTP/1.0) and later stderr is only logged.
#include "http/php_exchange.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "accounts/names.hpp"
#include "common/log.hpp"
#include "fastcgi/params.hpp"
#include "http/session.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

using Steady = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;

constexpr std::size_t kResponseBuffer = 64 * 1024;
constexpr std::size_t kMaxStderr = 64 * 1024;  // kept for the 500 page and the log

std::string_view as_text(fastcgi::ByteSpan data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

}  // namespace

Result<pool::WorkerPool*> PhpRouting::workers(const accounts::WorkerKey& key) {
  if (auto it = workers_.find(key); it != workers_.end()) return it->second;
  const config::Pool* pool = config_.find_pool(key.pool);
  if (!pool) return std::unexpected(Error::logic("route to pool", key.pool, "no such pool"));
  // The pool set keys the pool's own identity as "", other accounts by name.
  std::string identity = key.account == accounts::pool_account(*pool) ? std::string() : key.account;
  auto set = pools_.get(pool::PoolKey{key.pool, std::move(identity)});
  if (!set) return std::unexpected(set.error());
  workers_.emplace(key, *set);
  return *set;
}

Result<const accounts::RequestIdentities*> PhpRouting::anonymous(const config::Site& site,
                                                                 const config::Application& app) {
  if (auto it = anonymous_.find(&app); it != anonymous_.end()) return &it->second;
  auto ids = accounts::resolve_request_identities(config_, site, app, std::nullopt);
  if (!ids) return std::unexpected(ids.error());
  return &anonymous_.emplace(&app, std::move(*ids)).first->second;
}

std::string_view PhpRouting::script_key(const handlers::RootDir& root, std::string_view relative,
                                        const handlers::RequestIdentity& who) {
  key_.assign(root.path().string());
  key_.push_back('\0');
  key_.append(who.cache_key());
  key_.push_back('\0');
  key_.append(relative);
  return key_;
}

bool PhpRouting::script_found_recently(const handlers::RootDir& root, std::string_view relative,
                                       const handlers::RequestIdentity& who, SteadyTime now) {
  auto it = scripts_.find(script_key(root, relative, who));
  if (it == scripts_.end()) return false;
  if (now - it->second < kScriptMemory) return true;
  scripts_.erase(it);
  return false;
}

void PhpRouting::remember_script(const handlers::RootDir& root, std::string_view relative,
                                 const handlers::RequestIdentity& who, SteadyTime now) {
  // Bounded: a crawl over many scripts must not grow this without end.
  if (scripts_.size() >= 1024) std::erase_if(scripts_, [&](const auto& e) { return now - e.second >= kScriptMemory; });
  if (scripts_.size() >= 1024) scripts_.clear();
  scripts_.insert_or_assign(std::string(script_key(root, relative, who)), now);
}

PhpExchange::~PhpExchange() {
  conn_.reset();
  if (lease_.active()) lease_.abandon();
}

std::string PhpExchange::ctx() const {
  return "[pool " + (pool_ ? pool_->name : std::string("?")) + "] " + script_url_;
}

void PhpExchange::start(const SiteRoutes& site, std::string_view url_path, const handlers::RequestIdentity& who) {
  if (auto found = resolve_script(site, url_path, who); !found) {
    int e = found.error().errnum;
    s_.win32_ = e;
    if (e == EACCES || e == EPERM) return answer_now(401, 3, "Access is denied to the script.");
    if (e == ENOENT || e == ENOTDIR || e == EXDEV || e == ELOOP) return answer_now(404, 0, "The script does not exist.");
    log::error("[site {}] {}", site.site->name, found.error().message());
    return answer_now(500, 0, "The script could not be opened.");
  }
  if (auto routed = route_to_pool(site); !routed) {
    log::error("[site {}] {}", site.site->name, routed.error().message());
    return answer_now(500, 0, "The request could not be routed to its application pool.");
  }
  // php-cgi reads exactly CONTENT_LENGTH bytes: a chunked body (no length) cannot reach it.
  if (!s_.parser_->is_done() && !s_.parser_->content_length())
    return answer_now(411, 0, "Scripts need a Content-Length for a request body.");
  auto built = params(site);
  if (!built) return answer_now(400, 0, "The request headers are ambiguous once mapped to CGI variables.");
  params_ = std::move(*built);
  request_deadline_ = s_.request_start_ + pool_->fastcgi.request_timeout;
  stage_ = Stage::Acquire;
  s_.deadline_ = request_deadline_;  // a queued request waits at most request_timeout
  auto workers = s_.worker_.php()->workers(ids_->worker);
  if (!workers) {
    log::error("{}: {}", ctx(), workers.error().message());
    return answer_now(500, 0, "The application pool is not available.");
  }
  (*workers)->async_acquire(s_.socket_.get_executor(),
                            [this](pool::AcquireResult result) { on_acquired(std::move(result)); });
}

Status PhpExchange::resolve_script(const SiteRoutes& site, std::string_view url_path,
                                   const handlers::RequestIdentity& who) {
  // The first segment ending in a script extension that is an existing
  // regular file, opened as the request identity so the kernel decides.
  for (auto end : handlers::script_candidates(url_path, site.site->php_extensions)) {
    auto script_url = url_path.substr(0, end);
    auto match = Router::find_mount(site, script_url);
    if (!match.mount) break;
    PhpRouting& php = *s_.worker_.php();
    const auto now = s_.request_start_;
    if (!php.script_found_recently(match.mount->root, match.relative, who, now)) {
      auto file = handlers::open_for_request(match.mount->root, match.relative, who);
      if (!file) {
        int e = file.error().errnum;
        if (e == ENOENT || e == ENOTDIR) continue;
        return std::unexpected(file.error());
      }
      if (!file->is_regular()) continue;
      php.remember_script(match.mount->root, match.relative, who, now);
    }
    script_url_.assign(script_url);
    script_file_ = (match.mount->root.path() / std::string(match.relative)).string();
    path_info_.assign(url_path.substr(end));
    return {};
  }
  return std::unexpected(Error::sys("find script", std::string(url_path), ENOENT));
}

Status PhpExchange::route_to_pool(const SiteRoutes& site) {
  auto match = Router::find_mount(site, script_url_);
  const config::Application* app = match.mount ? match.mount->application : nullptr;
  if (!app) return std::unexpected(Error::logic("route to pool", script_url_, "no application"));
  if (s_.grant_) {
    ids_ = &s_.grant_->ids;
  } else {
    auto ids = s_.worker_.php()->anonymous(*site.site, *app);
    if (!ids) return std::unexpected(ids.error());
    ids_ = *ids;
  }
  pool_ = s_.worker_.php()->config().find_pool(ids_->worker.pool);
  if (!pool_) return std::unexpected(Error::logic("route to pool", ids_->worker.pool, "no such pool"));
  document_root_ = site.site->root().physical_path.string();
  return {};
}

Result<std::vector<fastcgi::NameValue>> PhpExchange::params(const SiteRoutes& site) {
  const Request& r = s_.request_;
  fastcgi::RequestMeta m;
  m.method = r.method_text;
  m.script_filename = script_file_;
  m.script_name = script_url_;
  m.path_info = path_info_;
  m.document_root = document_root_;
  m.request_uri = r.target;
  m.query_string.assign(r.query());
  if (!s_.parser_->is_done() || s_.parser_->content_length()) m.content_length = s_.parser_->content_length().value_or(0);
  m.remote_addr = s_.remote_ip_text_;
  m.remote_port = s_.remote_port_;
  m.server_addr = s_.local_ip_text_;
  m.server_port = s_.local_port_;
  auto host = host_without_port(r.host);
  m.server_name.assign(host.empty() ? std::string_view(s_.local_ip_text_) : host);
  m.protocol = r.version >= 11 ? "HTTP/1.1" : "HTTP/1.0";
  if (s_.grant_) {
    m.remote_user = s_.grant_->remote_user;
    m.auth_type = s_.grant_->auth_type;
  }
  m.headers.reserve(r.fields.size());
  for (const auto& f : r.fields) {
    if (f.name == bhttp::field::content_type) m.content_type.assign(r.field_value(f));
    m.headers.push_back({std::string(r.field_name(f)), std::string(r.field_value(f))});
  }
  auto out = fastcgi::build_params(m);
  if (!out) {
    log::info("[site {}] {}: refused: {}", site.site->name, script_url_, out.error().message());
    return out;
  }
  // What the demo's whoami.php shows: the accounts Gatehouse chose, by name.
  out->push_back({"GATEHOUSE_POOL", pool_->name});
  out->push_back({"GATEHOUSE_PHP_AS", ids_->php_as});
  out->push_back({"GATEHOUSE_STATIC_AS", ids_->static_as});
  return out;
}

void PhpExchange::on_acquired(pool::AcquireResult result) {
  if (!result) {
    if (cancelled_) {
      stage_ = Stage::Done;
      return s_.destroy();
    }
    log::warn("{}: {}", ctx(), result.error().error.message());
    auto status = static_cast<unsigned>(result.error().http_status());
    return answer_now(status, 0,
                      status == 503 ? "The application pool is busy or offline; try again shortly."
                                    : "The application pool could not start a PHP worker.");
  }
  lease_ = std::move(*result);
  if (cancelled_) {  // the client's deadline passed while queued: the worker did nothing
    lease_.release();
    stage_ = Stage::Done;
    return s_.destroy();
  }
  conn_.emplace(std::move(lease_.socket()));
  stage_ = Stage::Begin;
  activity_deadline_ = Steady::now() + pool_->fastcgi.activity_timeout;
  set_php_deadline();
  php_pending_ = true;
  conn_->async_begin(params_, !s_.parser_->is_done(), [this](boost::system::error_code ec) { on_begun(ec); });
}

void PhpExchange::on_begun(boost::system::error_code ec) {
  php_pending_ = false;
  if (ec) return php_failed(ec);
  if (s_.parser_->is_done()) {
    stage_ = Stage::Output;
    return read_output();
  }
  stage_ = Stage::Body;
  s_.phase_ = Session::Phase::Body;
  s_.parser_->set_sink(this);
  s_.parse();  // what came with the head first
}

void PhpExchange::body_wanted() {
  if (!stdin_.empty()) return write_stdin();
  if (s_.parser_->is_done()) return end_stdin();
  s_.deadline_ = std::min(Steady::now() + s_.worker_.limits().body_timeout, request_deadline_);
  s_.do_read();
}

void PhpExchange::write_stdin() {
  set_php_deadline();
  php_pending_ = true;
  conn_->async_write_stdin(boost::asio::buffer(stdin_), [this](boost::system::error_code ec) {
    php_pending_ = false;
    if (ec) return php_failed(ec);
    activity_deadline_ = Steady::now() + pool_->fastcgi.activity_timeout;
    stdin_.clear();
    if (s_.parser_->is_done()) return body_wanted();
    s_.parse();  // may end this exchange (a malformed body): nothing may follow
  });
}

void PhpExchange::end_stdin() {
  stage_ = Stage::Output;
  s_.phase_ = Session::Phase::Write;
  set_php_deadline();
  php_pending_ = true;
  conn_->async_end_stdin([this](boost::system::error_code ec) {
    php_pending_ = false;
    if (ec) return php_failed(ec);
    read_output();
  });
}

void PhpExchange::read_output() {
  set_php_deadline();
  php_pending_ = true;
  conn_->async_read_output([this](boost::system::error_code ec, fastcgi::Output out) {
    php_pending_ = false;
    if (ec) return php_failed(ec);
    activity_deadline_ = Steady::now() + pool_->fastcgi.activity_timeout;
    switch (out.kind) {
      case fastcgi::EventKind::Stdout:
        return on_stdout(out.data);
      case fastcgi::EventKind::Stderr:
        return on_stderr(out.data);
      case fastcgi::EventKind::EndRequest:
        if (out.protocol_status != fastcgi::ProtocolStatus::RequestComplete) {
          end_lease(pool::LeaseEnd::Failed);
          return head_sent_ ? s_.destroy() : answer_now(502, 0, "The PHP worker refused the request.");
        }
        return on_end();
      default:
        return read_output();
    }
  });
}

void PhpExchange::on_stdout(fastcgi::ByteSpan data) {
  if (!head_parsed_) {
    std::size_t used = 0;
    auto r = head_parser_.feed(data, used);
    if (r == fastcgi::CgiHeadParser::Result::NeedMore) return read_output();
    if (r == fastcgi::CgiHeadParser::Result::Error) {
      log::error("{}: malformed CGI head from PHP: {}", ctx(), fastcgi::describe(head_parser_.error()));
      end_lease(pool::LeaseEnd::Failed);
      return answer_now(502, 0, "The PHP worker sent a malformed response.");
    }
    head_parsed_ = true;
    data = data.subspan(used);
    const auto& head = head_parser_.head();
    php_length_ = handlers::php_content_length(head);
    discard_body_ = s_.request_.method == bhttp::verb::head || !handlers::body_allowed(head.status);
  }
  if (discard_body_ || data.empty()) return read_output();
  if (!head_sent_) {
    body_.append(as_text(data));
    if (body_.size() < kResponseBuffer) return read_output();
    emit_head(false);
    return send_out(false);
  }
  auto text = as_text(data);
  switch (framing_) {
    case handlers::Framing::Chunked:
      handlers::append_chunk(s_.out_, text);
      break;
    case handlers::Framing::Length:
      if (text.size() > *length_left_) {  // more than PHP announced: cut, and close after
        text = text.substr(0, *length_left_);
        s_.keep_alive_ = false;
      }
      *length_left_ -= text.size();
      s_.out_.append(text);
      break;
    default:
      s_.out_.append(text);
  }
  send_out(false);
}

void PhpExchange::on_stderr(fastcgi::ByteSpan data) {
  stderr_seen_ = true;
  stderr_.append(as_text(data).substr(0, kMaxStderr - std::min(kMaxStderr, stderr_.size())));
  if (pool_->fastcgi.stderr_mode != config::StderrMode::TerminateProcess) return read_output();
  log::warn("{}: PHP wrote to stderr (stderr_mode TerminateProcess): worker {} killed: {}", ctx(), lease_.pid(),
            stderr_);
  end_lease(pool::LeaseEnd::Kill);
  if (head_sent_) return s_.destroy();
  answer_now(500, 0, "The PHP process wrote to its error stream and was terminated.");
}

void PhpExchange::on_end() {
  if (conn_->reusable())
    lease_.release(conn_->release_socket());
  else
    lease_.fail();
  conn_.reset();
  const auto mode = pool_->fastcgi.stderr_mode;
  if (stderr_seen_) log::warn("{}: PHP stderr: {}", ctx(), stderr_);
  if (!head_parsed_) {
    log::error("{}: PHP ended the request without a response head", ctx());
    return answer_now(502, 0, "The PHP worker sent no response.");
  }
  if (stderr_seen_ && !head_sent_ && mode == config::StderrMode::ReturnStdErrIn500)
    return answer_now(500, 0, "PHP reported an error: " + handlers::html_escape(stderr_));
  if (stderr_seen_ && !head_sent_ && mode == config::StderrMode::ReturnGeneric500)
    return answer_now(500, 0, "The PHP script reported an error.");
  if (!head_sent_) {
    emit_head(true);
  } else if (framing_ == handlers::Framing::Chunked) {
    s_.out_.append(handlers::kLastChunk);
  } else if (framing_ == handlers::Framing::Length && *length_left_ > 0) {
    log::warn("{}: PHP sent {} bytes less than its Content-Length", ctx(), *length_left_);
    s_.keep_alive_ = false;  // the client cannot tell where this response ends
  }
  send_out(true);
}

void PhpExchange::emit_head(bool complete) {
  const auto& head = head_parser_.head();
  const bool is_head = s_.request_.method == bhttp::verb::head;
  framing_ = handlers::choose_framing(head.status, is_head, s_.request_.version, complete, php_length_);
  std::uint64_t length = complete && !is_head ? body_.size() : php_length_.value_or(0);
  if (framing_ == handlers::Framing::Close) s_.keep_alive_ = false;
  s_.status_ = static_cast<unsigned>(head.status);
  handlers::HeadOptions o{s_.worker_.clock().http_date(), framing_, length, s_.keep_alive_, s_.request_.version};
  handlers::append_php_head(s_.out_, head, o);
  head_sent_ = true;
  std::string_view body = body_;
  if (framing_ == handlers::Framing::Chunked) {
    handlers::append_chunk(s_.out_, body);
  } else if (framing_ == handlers::Framing::Length && is_head) {
    length_left_ = 0;
  } else if (framing_ == handlers::Framing::Length) {
    length_left_ = length;
    if (body.size() > length) {
      body = body.substr(0, length);
      s_.keep_alive_ = false;
    }
    *length_left_ -= body.size();
    s_.out_.append(body);
  } else if (framing_ == handlers::Framing::Close) {
    s_.out_.append(body);
  } else {
    length_left_ = 0;
  }
  body_.clear();
}

void PhpExchange::send_out(bool last) {
  std::string& out = s_.out_;
  while (s_.out_sent_ < out.size()) {
    auto n = ::send(s_.fd_, out.data() + s_.out_sent_, out.size() - s_.out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return wait_writable(last);
      return s_.destroy();  // the client left: the lease is abandoned there
    }
    s_.out_sent_ += static_cast<std::size_t>(n);
  }
  out.clear();
  s_.out_sent_ = 0;
  if (!last) return read_output();
  finish();
}

void PhpExchange::wait_writable(bool last) {
  // A client that stops reading holds PHP back (backpressure) for at most body_timeout.
  s_.deadline_ = std::min(Steady::now() + s_.worker_.limits().body_timeout, request_deadline_);
  s_.socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, [this, last](boost::system::error_code ec) {
    if (ec) return s_.destroy();
    send_out(last);
  });
}

void PhpExchange::php_failed(boost::system::error_code ec) {
  if (cancelled_) {
    end_lease(pool::LeaseEnd::Abandon);
    stage_ = Stage::Done;
    return s_.destroy();
  }
  if (timed_out_) {
    bool whole = Steady::now() >= request_deadline_;
    log::warn("{}: {} ({}s) reached: worker {} killed", ctx(), whole ? "request_timeout" : "activity_timeout",
              (whole ? pool_->fastcgi.request_timeout : pool_->fastcgi.activity_timeout).count(), lease_.pid());
    end_lease(pool::LeaseEnd::Kill);
    if (head_sent_) return s_.destroy();
    return answer_now(500, 0, whole ? "The PHP script exceeded the request timeout." : "The PHP script stopped responding.");
  }
  log::warn("{}: worker {} failed: {}", ctx(), lease_.pid(), ec.message());
  end_lease(pool::LeaseEnd::Failed);
  if (head_sent_) return s_.destroy();
  answer_now(502, 0, "The PHP worker failed while handling the request.");
}

bool PhpExchange::on_deadline() {
  switch (stage_) {
    case Stage::Resolve:
    case Stage::Done:
      return false;
    case Stage::Acquire:
      cancelled_ = true;  // the socket closes now; the acquisition ends the session when it completes
      return false;
    default:
      break;
  }
  if (!php_pending_) {  // the client is slow (body or response): the session closes it
    if (Steady::now() >= request_deadline_) timed_out_ = true;
    return false;
  }
  timed_out_ = true;
  conn_->close();  // the pending worker operation completes with an error: php_failed
  return true;
}

bool PhpExchange::may_destroy() {
  if (php_pending_ || stage_ == Stage::Acquire) {
    cancelled_ = true;
    if (conn_) conn_->close();
    return false;
  }
  end_lease(timed_out_ ? pool::LeaseEnd::Kill : pool::LeaseEnd::Abandon);
  stage_ = Stage::Done;
  return true;
}

void PhpExchange::end_lease(pool::LeaseEnd how) {
  conn_.reset();
  if (lease_.active()) lease_.end(how);
}

void PhpExchange::answer_now(unsigned status, unsigned substatus, std::string_view detail) {
  stage_ = Stage::Done;
  body_.clear();
  s_.out_.clear();
  s_.out_sent_ = 0;
  s_.phase_ = Session::Phase::Write;
  s_.answer_error(status, substatus, detail, false);  // may end the session: nothing may follow
}

void PhpExchange::finish() {
  stage_ = Stage::Done;
  s_.on_response_done();  // may start the next request or end the session: nothing may follow
}

void PhpExchange::set_php_deadline() { s_.deadline_ = std::min(request_deadline_, activity_deadline_); }

}  // namespace gatehouse::http

// The PHP request's stages, strictly one asynchronous operation at a time
// (pool, worker or client), so the transport's rule "the pending operation's
// completion is the only place a connection ends" still holds: Resolve ->
// Acquire -> Begin -> Body (client read / STDIN write, alternating) -> Output
// (worker read / client write, alternating) -> Done.
//
// The response head is held back until END_REQUEST or until kResponseBuffer
// bytes of body arrived (IIS's responseBufferLimit does the same): a small
// response then leaves in one send() with a Content-Length, and stderr that
// arrives with it can still turn it into a 500. Past that, the body streams
// and later stderr is only logged.
#include "handlers/php_handler.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <cerrno>

#include "common/log.hpp"
#include "fastcgi/params.hpp"
#include "handlers/php_response.hpp"
#include "handlers/static_file.hpp"

namespace gatehouse::handlers {
namespace {

using Steady = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;

constexpr std::size_t kResponseBuffer = 64 * 1024;
constexpr std::size_t kMaxStderr = 64 * 1024;  // kept for the 500 page and the log

std::string_view as_text(fastcgi::ByteSpan data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

const accounts::Identity kAsServer;  // no gate: the server's own account

}  // namespace

PhpHandler::~PhpHandler() {
  conn_.reset();
  if (lease_.active()) lease_.abandon();
}

std::string PhpHandler::ctx() const { return "[pool " + (pool_ ? pool_->name : std::string("?")) + "] " + script_url_; }

void PhpHandler::start(const SiteRoutes& site, std::string_view url_path, const accounts::Grant* grant) {
  grant_ = grant;
  if (auto found = resolve_script(site, url_path, grant ? grant->who : kAsServer); !found) {
    int e = found.error().errnum;
    port_.note_win32(e);
    if (e == EACCES || e == EPERM) return answer_now(401, 3, "Access is denied to the script.");
    if (e == ENOENT || e == ENOTDIR || e == EXDEV || e == ELOOP)
      return answer_now(404, 0, "The script does not exist.");
    log::error("[site {}] {}", site.site->name, found.error().message());
    return answer_now(500, 0, "The script could not be opened.");
  }
  if (auto routed = route_to_pool(site); !routed) {
    log::error("[site {}] {}", site.site->name, routed.error().message());
    return answer_now(500, 0, "The request could not be routed to its application pool.");
  }
  if (auto ban = routing_.script_ban(pool_->name, script_file_)) {
    // IIS answers 404 and logs 403.1 (execute access denied) for a script where scripts may not run.
    log::warn("{}: refused: scripts do not run in {} ({})", ctx(), ban->folder.string(), ban->reason);
    port_.log_as(403, 1);
    return answer_now(404, 0, "The resource cannot be found.");
  }
  site_ = &site;
  has_body_ = !port_.body_complete() || port_.body_length();
  if (port_.body_complete()) return acquire(site);
  // The whole body first (chunked too: php-cgi needs CONTENT_LENGTH), so a
  // slow client never holds a worker.
  stage_ = Stage::Buffer;
  body_in_.emplace(routing_.body_dir());
  port_.read_body([this](std::string_view chunk) { on_buffered(chunk); });
}

void PhpHandler::on_buffered(std::string_view chunk) {
  if (chunk.empty()) return acquire(*site_);
  if (auto kept = body_in_->append(chunk); !kept) {
    log::error("{}: {}", ctx(), kept.error().message());
    return answer_now(500, 0, "The request body could not be stored.");
  }
  port_.read_body([this](std::string_view next) { on_buffered(next); });  // the last step
}

void PhpHandler::acquire(const SiteRoutes& site) {
  auto built = params(site);
  if (!built) return answer_now(400, 0, "The request headers are ambiguous once mapped to CGI variables.");
  params_ = std::move(*built);
  // request_timeout counts from the moment PHP can start: the body is here.
  request_deadline_ = Steady::now() + pool_->fastcgi.request_timeout;
  port_.cap_waits(request_deadline_);
  stage_ = Stage::Acquire;
  port_.set_deadline(request_deadline_);  // a queued request waits at most request_timeout
  auto workers = routing_.workers(ids_->worker);
  if (!workers) {
    log::error("{}: {}", ctx(), workers.error().message());
    return answer_now(500, 0, "The application pool is not available.");
  }
  (*workers)->async_acquire(routing_.executor(),
                            [this](pool::AcquireResult result) { on_acquired(std::move(result)); });
}

Status PhpHandler::resolve_script(const SiteRoutes& site, std::string_view url_path, const accounts::Identity& who) {
  // The first segment ending in a script extension that is an existing
  // regular file, opened as the request identity so the kernel decides.
  for (auto end : script_candidates(url_path, site.site->php_extensions)) {
    auto script_url = url_path.substr(0, end);
    auto match = find_mount(site, script_url);
    if (!match.mount) break;
    const auto now = port_.request_start();
    if (!routing_.script_found_recently(match.mount->root, match.relative, who, now)) {
      auto file = open_for_request(match.mount->root, match.relative, who);
      if (!file) {
        int e = file.error().errnum;
        if (e == ENOENT || e == ENOTDIR) continue;
        return std::unexpected(file.error());
      }
      if (!file->is_regular()) continue;
      routing_.remember_script(match.mount->root, match.relative, who, now);
    }
    script_url_.assign(script_url);
    script_file_ = (match.mount->root.path() / std::string(match.relative)).string();
    path_info_.assign(url_path.substr(end));
    return {};
  }
  return std::unexpected(Error::sys("find script", std::string(url_path), ENOENT));
}

Status PhpHandler::route_to_pool(const SiteRoutes& site) {
  auto match = find_mount(site, script_url_);
  const config::Application* app = match.mount ? match.mount->application : nullptr;
  if (!app) return std::unexpected(Error::logic("route to pool", script_url_, "no application"));
  if (grant_) {
    ids_ = &grant_->ids;
  } else {
    auto ids = routing_.anonymous(*site.site, *app);
    if (!ids) return std::unexpected(ids.error());
    ids_ = *ids;
  }
  pool_ = routing_.config().find_pool(ids_->worker.pool);
  if (!pool_) return std::unexpected(Error::logic("route to pool", ids_->worker.pool, "no such pool"));
  document_root_ = site.site->root().physical_path.string();
  return {};
}

Result<std::vector<fastcgi::NameValue>> PhpHandler::params(const SiteRoutes& site) {
  const Request& r = port_.request();
  const Peer& peer = port_.peer();
  fastcgi::RequestMeta m;
  m.method = r.method_text;
  m.script_filename = script_file_;
  m.script_name = script_url_;
  m.path_info = path_info_;
  m.document_root = document_root_;
  m.request_uri = r.target;
  m.query_string.assign(r.rewritten ? std::string_view(r.rewritten_query) : r.query());
  if (has_body_) m.content_length = body_in_ ? body_in_->size() : 0;
  m.remote_addr = peer.remote_ip;
  m.remote_port = peer.remote_port;
  m.server_addr = peer.local_ip;
  m.server_port = peer.local_port;
  m.https = peer.https;
  auto host = host_without_port(r.host);
  m.server_name.assign(host.empty() ? std::string_view(peer.local_ip) : host);
  m.protocol = r.version >= 20 ? "HTTP/2.0" : r.version >= 11 ? "HTTP/1.1" : "HTTP/1.0";  // nginx says HTTP/2.0
  if (grant_) {
    m.remote_user = grant_->remote_user;
    m.auth_type = grant_->auth_type;
  }
  m.headers.reserve(r.fields.size());
  for (const auto& f : r.fields) {
    // Frameworks trust these to find the original URL: only the server sets them (below).
    auto name = r.field_name(f);
    if (boost::beast::iequals({name.data(), name.size()}, "X-Original-URL") ||
        boost::beast::iequals({name.data(), name.size()}, "X-Rewrite-URL"))
      continue;
    if (f.name == bhttp::field::content_type) m.content_type.assign(r.field_value(f));
    // Host is the authority that routed the request (absolute-form wins over the header).
    auto value = f.name == bhttp::field::host ? r.host : r.field_value(f);
    m.headers.push_back({std::string(r.field_name(f)), std::string(value)});
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
  if (r.rewritten) {  // as IIS URL Rewrite sets them (WordPress and MediaWiki read them)
    out->push_back({"HTTP_X_ORIGINAL_URL", r.target});
    out->push_back({"UNENCODED_URL", r.target});
  }
  return out;
}

void PhpHandler::on_acquired(pool::AcquireResult result) {
  if (!result) {
    if (cancelled_) {
      stage_ = Stage::Done;
      return port_.abort();
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
    return port_.abort();
  }
  conn_.emplace(std::move(lease_.socket()));
  stage_ = Stage::Begin;
  activity_deadline_ = Steady::now() + pool_->fastcgi.activity_timeout;
  set_php_deadline();
  php_pending_ = true;
  const bool stdin_follows = body_in_ && body_in_->size() > 0;
  conn_->async_begin(params_, stdin_follows, [this](boost::system::error_code ec) { on_begun(ec); });
}

void PhpHandler::on_begun(boost::system::error_code ec) {
  php_pending_ = false;
  if (ec) return php_failed(ec);
  if (!body_in_ || body_in_->size() == 0) {
    stage_ = Stage::Output;
    return read_output();
  }
  stage_ = Stage::Body;
  write_stdin();
}

void PhpHandler::write_stdin() {
  if (stdin_sent_ == body_in_->size()) return end_stdin();  // the whole body was sent
  auto piece = body_in_->read(stdin_sent_, 64 * 1024, stdin_scratch_);
  if (!piece || piece->empty()) {
    log::error("{}: {}", ctx(), piece ? "the request body ended early" : piece.error().message());
    end_lease(pool::LeaseEnd::Abandon);
    return answer_now(500, 0, "The request body could not be read back.");
  }
  stdin_sent_ += piece->size();
  set_php_deadline();
  php_pending_ = true;
  conn_->async_write_stdin(boost::asio::buffer(piece->data(), piece->size()), [this](boost::system::error_code ec) {
    php_pending_ = false;
    if (ec) return php_failed(ec);
    activity_deadline_ = Steady::now() + pool_->fastcgi.activity_timeout;
    write_stdin();
  });
}

void PhpHandler::end_stdin() {
  stage_ = Stage::Output;
  set_php_deadline();
  php_pending_ = true;
  conn_->async_end_stdin([this](boost::system::error_code ec) {
    php_pending_ = false;
    if (ec) return php_failed(ec);
    read_output();
  });
}

void PhpHandler::read_output() {
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
          if (head_sent_) return port_.abort();
          return answer_now(502, 0, "The PHP worker refused the request.");
        }
        return on_end();
      default:
        return read_output();
    }
  });
}

void PhpHandler::on_stdout(fastcgi::ByteSpan data) {
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
    if (head.status < 200 || head.status > 599) {
      // A 1xx as the final answer would desynchronise the connection (and
      // 101 could switch a proxy to a tunnel): only 200-599 end a request.
      log::error("{}: PHP sent status {} as its final response: answered 502", ctx(), head.status);
      end_lease(pool::LeaseEnd::Abandon);
      return answer_now(502, 0, "The PHP script sent an invalid status.");
    }
    php_length_ = php_content_length(head);
    discard_body_ = port_.request().method == bhttp::verb::head || !body_allowed(head.status);
  }
  if (discard_body_ || data.empty()) return read_output();
  if (!head_sent_) {
    body_.append(as_text(data));
    if (body_.size() < kResponseBuffer) return read_output();
    emit_head(false);
    return send(std::exchange(body_, {}), false);
  }
  send(as_text(data), false);
}

void PhpHandler::on_stderr(fastcgi::ByteSpan data) {
  stderr_seen_ = true;
  stderr_.append(as_text(data).substr(0, kMaxStderr - std::min(kMaxStderr, stderr_.size())));
  if (pool_->fastcgi.stderr_mode != config::StderrMode::TerminateProcess) return read_output();
  log::warn("{}: PHP wrote to stderr (stderr_mode TerminateProcess): worker {} killed: {}", ctx(), lease_.pid(),
            stderr_);
  end_lease(pool::LeaseEnd::Kill);
  if (head_sent_) return port_.abort();
  answer_now(500, 0, "The PHP process wrote to its error stream and was terminated.");
}

void PhpHandler::on_end() {
  const auto executor = conn_->socket().get_executor();
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
    return answer_now(500, 0, "PHP reported an error: " + html_escape(stderr_));
  if (stderr_seen_ && !head_sent_ && mode == config::StderrMode::ReturnGeneric500)
    return answer_now(500, 0, "The PHP script reported an error.");
  if (!head_sent_) emit_head(true);
  finish_after_next(executor);
}

// The worker just went back to the pool, which posted its hand-out to the
// next queued request: posting this response's last write behind it sends
// PHP its next request before this client's bytes, so the worker does not
// sit idle while we write (PHP hello: 0.99-1.13x the requests per second of
// the old order in four alternating runs on the noisy 2-core machine).
void PhpHandler::finish_after_next(const boost::asio::any_io_executor& executor) {
  finishing_ = true;
  boost::asio::post(executor, [this] {
    finishing_ = false;
    if (cancelled_) {  // the transport ended meanwhile (may_destroy): it waits for this
      stage_ = Stage::Done;
      return port_.abort();
    }
    send(std::exchange(body_, {}), true);
  });
}

void PhpHandler::emit_head(bool complete) {
  const auto& head = head_parser_.head();
  const bool is_head = port_.request().method == bhttp::verb::head;
  // A complete body has an exact length; otherwise PHP's own, else none (streamed).
  std::optional<std::uint64_t> length = complete && !is_head ? std::optional<std::uint64_t>(body_.size()) : php_length_;
  php_head_fields(head, fields_);
  port_.write_head({static_cast<unsigned>(head.status), head.reason, fields_, length});
  head_sent_ = true;
}

void PhpHandler::send(std::string_view data, bool last) {
  if (last) {
    stage_ = Stage::Done;
    return port_.write_body(data, true, nullptr);  // may start the next request or end the connection
  }
  port_.write_body(data, false, [this] { read_output(); });
}

void PhpHandler::php_failed(boost::system::error_code ec) {
  if (cancelled_) {
    end_lease(pool::LeaseEnd::Abandon);
    stage_ = Stage::Done;
    return port_.abort();
  }
  if (timed_out_) {
    bool whole = Steady::now() >= request_deadline_;
    log::warn("{}: {} ({}s) reached: worker {} killed", ctx(), whole ? "request_timeout" : "activity_timeout",
              (whole ? pool_->fastcgi.request_timeout : pool_->fastcgi.activity_timeout).count(), lease_.pid());
    end_lease(pool::LeaseEnd::Kill);
    if (head_sent_) return port_.abort();
    return answer_now(500, 0,
                      whole ? "The PHP script exceeded the request timeout." : "The PHP script stopped responding.");
  }
  log::warn("{}: worker {} failed: {}", ctx(), lease_.pid(), ec.message());
  end_lease(pool::LeaseEnd::Failed);
  if (head_sent_) return port_.abort();
  answer_now(502, 0, "The PHP worker failed while handling the request.");
}

bool PhpHandler::on_deadline() {
  switch (stage_) {
    case Stage::Resolve:
    case Stage::Buffer:  // the client is slow: the transport closes the connection
    case Stage::Done:
      return false;
    case Stage::Acquire:
      cancelled_ = true;  // the socket closes now; the acquisition ends the exchange when it completes
      return false;
    default:
      break;
  }
  if (!php_pending_) {  // the client is slow (body or response): the transport closes it
    if (Steady::now() >= request_deadline_) timed_out_ = true;
    return false;
  }
  timed_out_ = true;
  conn_->close();  // the pending worker operation completes with an error: php_failed
  return true;
}

bool PhpHandler::may_destroy() {
  if (php_pending_ || finishing_ || stage_ == Stage::Acquire) {
    cancelled_ = true;
    if (conn_) conn_->close();
    return false;
  }
  end_lease(timed_out_ ? pool::LeaseEnd::Kill : pool::LeaseEnd::Abandon);
  stage_ = Stage::Done;
  return true;
}

void PhpHandler::end_lease(pool::LeaseEnd how) {
  conn_.reset();
  if (lease_.active()) lease_.end(how);
}

void PhpHandler::answer_now(unsigned status, unsigned substatus, std::string_view detail) {
  stage_ = Stage::Done;
  body_.clear();
  port_.answer_error(status, substatus, detail);  // may end the connection: nothing may follow
}

void PhpHandler::set_php_deadline() { port_.set_deadline(std::min(request_deadline_, activity_deadline_)); }

}  // namespace gatehouse::handlers

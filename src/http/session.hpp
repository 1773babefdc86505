// One client connection: reads request heads (and drains bodies), routes,
// answers static files with sendfile, keeps responses in request order, and
// enforces the header, keep-alive and body timeouts through a deadline that
// the worker's tick checks.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "handlers/static_file.hpp"
#include "http/auth_gate.hpp"
#include "http/php_exchange.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace gatehouse::http {

class Worker;
using SteadyTime = std::chrono::steady_clock::time_point;

class Session
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  Session(Worker& worker, boost::asio::ip::tcp::socket socket);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // The worker's tick: past its deadline, the connection is closed (its
  // pending operation then completes with an error and ends the session).
  bool expired(SteadyTime now) const { return now > deadline_; }
  void close();
  // Graceful stop: an idle connection closes now, a busy one after its response.
  void drain();

 private:
  enum class Phase { Idle, Head, Body, Write, Linger };

  void begin_request();
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void parse();
  void on_header_done();
  void body_wanted();  // the parser needs more body bytes
  void on_parse_error(boost::system::error_code ec);
  void process();
  // The authentication step: true when the request may go on now (grant_
  // set); false when it was answered (401) or waits for a password check,
  // which continues in on_verdict.
  bool authorize(const SiteRoutes& site, const MountMatch& match);
  void on_verdict(Verdict verdict);
  bool admit(Verdict& verdict);
  void route(const SiteRoutes& site, const MountMatch& match);
  void answer_static(const SiteRoutes& site, const MountMatch& match);
  // The body comes from `content` (a cached small file) or from `open_file`.
  void answer_file(const handlers::Validators& file, std::string_view content_type,
                   const std::string* content, handlers::OpenFile* open_file);
  void answer_script(const SiteRoutes& site);
  // `challenge`: a WWW-Authenticate value for 401, or empty.
  void answer_error(unsigned status, unsigned substatus, std::string_view detail, bool close,
                    std::string_view challenge = {});
  void answer_redirect(const std::string& target);
  void write();
  void wait_writable();
  void on_response_done();
  void linger();
  void linger_read();
  void log_request();
  void destroy();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  int fd_ = -1;
  boost::beast::flat_buffer buffer_;
  Request request_;
  std::optional<RequestParser> parser_;
  Phase phase_ = Phase::Idle;
  SteadyTime deadline_;
  SteadyTime request_start_;
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool draining_ = false;

  // The PHP request in progress (php_exchange.hpp drives the session while it runs).
  friend class PhpExchange;
  std::unique_ptr<PhpExchange> php_;
  const SiteRoutes* deferred_site_ = nullptr;  // a static answer waiting for the body to drain

  // Who the request acts as (auth_gate.hpp): grant_->who opens static files
  // and checks the PHP script, grant_->ids.worker names the PHP worker set,
  // grant_->remote_user / auth_type are REMOTE_USER / AUTH_TYPE. nullptr
  // (no gate): the server's own account.
  const Grant* grant_ = nullptr;
  std::unique_ptr<Grant> user_grant_;  // an authenticated request's grant
  boost::asio::steady_timer auth_timer_{socket_.get_executor()};  // the throttle's wait before a password check
  const SiteRoutes* auth_site_ = nullptr;               // where the request goes once authenticated
  MountMatch auth_match_;

  // The response being written: head (and small body) in out_, then a file part.
  std::string out_;
  std::size_t out_sent_ = 0;
  handlers::OpenFile file_;
  std::uint64_t file_offset_ = 0;
  std::uint64_t file_left_ = 0;
  std::string scratch_;

  // For the access log.
  std::string canonical_;
  std::size_t log_slot_ = 0;
  unsigned status_ = 0;
  unsigned substatus_ = 0;
  int win32_ = 0;
  boost::asio::ip::address local_ip_;
  std::uint16_t local_port_ = 0;
  std::string local_ip_text_;
  std::string remote_ip_text_;
  std::uint16_t remote_port_ = 0;
};

}  // namespace gatehouse::http

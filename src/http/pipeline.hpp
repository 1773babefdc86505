// The request path both transports share (an HTTP/1.1 session, an HTTP/2
// stream): route by Host, http->https redirect, canonical path, rewrite rules
// and request filtering, the authentication gate with its asynchronous
// password check, then static files or PHP. Written once: the transport
// answers through Exchange, a handler sees only handlers::Port.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "accounts/grant.hpp"
#include "handlers/port.hpp"
#include "handlers/static_handler.hpp"
#include "http/access_log.hpp"
#include "http/auth_gate.hpp"
#include "http/router.hpp"
#include "http/snapshot.hpp"

namespace gatehouse::http {

class Worker;

// What the pipeline needs from the transport that carries one request.
class Exchange : public handlers::Port {
 public:
  virtual handlers::Request& head() = 0;  // the request, writable (a rewrite records its URL)
  virtual const boost::asio::ip::address& local_address() const = 0;
  virtual bool tls() const = 0;       // the connection itself is TLS (no http->https redirect)
  virtual bool open() const = 0;      // false once the client is gone (a deadline, a stop, a reset)
  virtual int client_fd() const = 0;  // the password check drops a request whose client left
  // Answers; `close`: the connection ends after it (HTTP/1.1). `extra`: a
  // WWW-Authenticate or Allow header, or empty.
  virtual void error_response(unsigned status, unsigned substatus, std::string_view detail, bool close,
                              handlers::HeaderView extra = {}) = 0;
  virtual void redirect_response(unsigned status, std::string_view location) = 0;
  virtual void send_static(handlers::StaticAnswer& answer) = 0;
  // A static answer waits for the rest of the body: drop it as it comes,
  // then call Pipeline::resume().
  virtual void drain_body() = 0;
};

class Pipeline {
 public:
  Pipeline(Worker& worker, Exchange& exchange, boost::asio::any_io_executor executor);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  void reset(View& view);  // a new request, with the view it runs under
  // Routes and answers the request the transport parsed (`host` and `path`
  // as it resolved them, the absolute form already taken apart).
  void run(std::string_view host, std::string_view path);
  void resume();  // the body was drained: the static answer that waited for it
  bool deferred() const { return deferred_site_ != nullptr; }

  handlers::Handler* handler() const { return handler_.get(); }
  void drop_handler() { handler_.reset(); }
  const std::string& canonical() const { return canonical_; }
  void set_canonical(std::string_view path) { canonical_.assign(path.substr(0, 1024)); }
  std::size_t log_slot() const { return log_slot_; }
  const config::Site* site() const { return site_; }  // the routed site (HSTS), or nullptr

  // An access-log record with what every transport logs alike; the
  // transport adds status, bytes, protocol and TLS version.
  AccessRecord record(std::chrono::steady_clock::duration took) const;

 private:
  bool redirect_to_https(const SiteRoutes& site, std::string_view path);
  bool apply_rules(const SiteRoutes& site, MountMatch& match);
  void refuse_script();
  bool authorize(const SiteRoutes& site, const MountMatch& match);
  void on_verdict(Verdict verdict);
  bool admit(Verdict& verdict);
  void dispatch(const SiteRoutes& site, const MountMatch& match);
  void answer_static(const SiteRoutes& site, const MountMatch& match);
  void answer_script(const SiteRoutes& site);

  Worker& worker_;
  Exchange& x_;
  View* view_ = nullptr;
  std::string canonical_;
  std::size_t log_slot_ = 0;
  const config::Site* site_ = nullptr;
  bool scripts_allowed_ = true;                // request filtering's handler policy for this URL
  const SiteRoutes* deferred_site_ = nullptr;  // a static answer waiting for the body to drain

  // Who the request acts as (auth_gate.hpp): grant_->who opens static files
  // and checks the PHP script, grant_->ids.worker names the PHP worker set.
  // nullptr (no gate): the server's own account.
  const accounts::Grant* grant_ = nullptr;
  std::unique_ptr<accounts::Grant> user_grant_;  // an authenticated request's grant
  boost::asio::steady_timer auth_timer_;         // the throttle's wait before a password check
  const SiteRoutes* auth_site_ = nullptr;        // where the request goes once authenticated
  MountMatch auth_match_;
  // Expires with the pipeline: a password check or throttle wait that
  // completes later finds it gone and does nothing.
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);

  std::unique_ptr<handlers::Handler> handler_;  // the request's handler, if it outlives one call (PHP)
};

}  // namespace gatehouse::http

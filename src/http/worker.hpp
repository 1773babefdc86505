// One I/O thread: its own io_context, its own SO_REUSEPORT acceptor per
// listening address (the kernel spreads connections), its sessions, and a
// tick that enforces deadlines and flushes its access-log buffers. Nothing
// here is shared with other threads except the immutable router and the
// access-log files.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "handlers/file_cache.hpp"
#include "handlers/php_routing.hpp"
#include "http/access_log.hpp"
#include "http/clock.hpp"
#include "http/router.hpp"
#include "http/session.hpp"

namespace gatehouse::http {

class AuthGate;

class Worker {
 public:
  // `logs` has one entry per site, then one for requests no site took.
  Worker(const Router& router, const config::Server& server, const std::vector<std::unique_ptr<AccessLog>>& logs);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Opens this worker's acceptor on `address` (SO_REUSEPORT); before threads start.
  Status listen(const ListenAddress& address);
  // Takes a listening socket bound elsewhere (the supervisor, issue 9); before threads start.
  Status adopt(const ListenAddress& address, UniqueFd fd);
  void run();         // the thread's body: returns when drained or stopped
  void drain();       // thread-safe: stop accepting, finish in-flight, close idle
  void stop();        // thread-safe: stop now
  void flush_logs();  // only from this worker's thread, or after it ended

  // For sessions.
  boost::asio::io_context& io() { return io_; }
  const Router& router() const { return router_; }
  const config::Limits& limits() const { return server_.limits; }
  Clock& clock() { return clock_; }
  handlers::FileCache& file_cache() { return file_cache_; }
  bool draining() const { return draining_; }
  // The authentication step; nullptr: every request acts as the server itself.
  AuthGate* auth_gate() const { return auth_gate_; }
  void set_auth_gate(AuthGate* gate) { auth_gate_ = gate; }  // before run()
  // The PHP handler's per-thread routing; nullptr: scripts get 404.3.
  handlers::PhpRouting* php() const { return php_.get(); }
  void set_php(std::unique_ptr<handlers::PhpRouting> php) { php_ = std::move(php); }  // before run()
  std::size_t unrouted_slot() const { return buffers_.size() - 1; }
  void log(std::size_t slot, const AccessRecord& record);
  void destroy(Session* session);

 private:
  using SessionList = boost::intrusive::list<Session, boost::intrusive::constant_time_size<false>>;
  void do_accept(std::size_t index);
  void retry_accept(std::size_t index, boost::system::error_code ec);
  void tick();
  void on_drain();

  boost::asio::io_context io_{1};
  const Router& router_;
  const config::Server& server_;
  const std::vector<std::unique_ptr<AccessLog>>& logs_;
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  boost::asio::steady_timer timer_{io_};
  SessionList sessions_;
  Clock clock_;
  handlers::FileCache file_cache_;
  std::vector<std::string> buffers_;  // per log slot
  std::time_t last_flush_ = 0;
  bool draining_ = false;
  AuthGate* auth_gate_ = nullptr;
  std::unique_ptr<handlers::PhpRouting> php_;
};

}  // namespace gatehouse::http

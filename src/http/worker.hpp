// One I/O thread: its own io_context, its own SO_REUSEPORT acceptor per
// listening address (the kernel spreads connections), its sessions, and a
// tick that enforces deadlines and flushes its access-log buffers. Nothing
// here is shared with other threads except the immutable snapshot
// (snapshot.hpp) and the access-log files.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "handlers/file_cache.hpp"
#include "handlers/php_routing.hpp"
#include "http/access_log.hpp"
#include "http/clock.hpp"
#include "http/forwarding.hpp"
#include "http/router.hpp"
#include "http/session.hpp"
#include "http/snapshot.hpp"
#include "http/traffic.hpp"
#include "http/transport.hpp"

namespace gatehouse::http {

class AuthGate;

class Worker {
 public:
  explicit Worker(std::shared_ptr<const Snapshot> snapshot);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Opens this worker's acceptor on `address` (SO_REUSEPORT); before threads start.
  // `tls`: the address is https, with this SNI table.
  Status listen(const ListenAddress& address, const tls::PortContexts* tls = nullptr);
  // Reload: an acceptor opened (bound, listening) by any thread, which this
  // worker then accepts on; and the swaps below. Thread-safe (posted).
  Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>> open_acceptor(const ListenAddress& address);
  void adopt(ListenAddress address, std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor);
  // A listening socket bound elsewhere (the supervisor, issue 9); before threads start.
  Status adopt_fd(const ListenAddress& address, UniqueFd fd, const tls::PortContexts* tls = nullptr);
  void close_acceptor(const ListenAddress& address);    // removed binding: no new connections there
  void swap(std::shared_ptr<const Snapshot> snapshot);  // new requests see it
  void run();                                           // the thread's body: returns when drained or stopped
  // Thread-safe: stop accepting, finish in-flight, close idle connections
  // (`gentle`: a busy keep-alive client gets Connection: close on its next
  // response instead of a close that races its next request; idle ones close
  // after kGentle).
  void drain(bool gentle = false);
  static constexpr std::chrono::milliseconds kGentle{1000};
  void stop();        // thread-safe: stop now
  void flush_logs();  // only from this worker's thread, or after it ended

  // For sessions.
  boost::asio::io_context& io() { return io_; }
  // The current view; a session pins it per request (snapshot.hpp).
  const std::shared_ptr<View>& view() const { return view_; }
  Clock& clock() { return clock_; }
  handlers::FileCache& file_cache() { return file_cache_; }
  Traffic& traffic() { return traffic_; }  // issue 18: drain counts requests
  bool draining() const { return draining_; }
  void set_snapshot(std::shared_ptr<const Snapshot> snapshot);  // before run()
  void destroy(Transport* connection);
  // HTTP/2: served when a factory was set (before any worker runs).
  static void serve_h2(H2Factory factory);
  static bool h2_served();
  bool h2() const { return h2_served(); }
  // A session whose ALPN chose h2 becomes an HTTP/2 connection: `from` ends.
  void hand_over(Transport* from, boost::asio::ip::tcp::socket socket, std::unique_ptr<tls::Connection> tls,
                 const handlers::Peer& peer);

 private:
  using SessionList = boost::intrusive::list<Transport, boost::intrusive::constant_time_size<false>>;
  struct Acceptor {
    ListenAddress address;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> socket;
    const tls::PortContexts* tls = nullptr;  // https: this port's SNI table
  };
  void do_accept(Acceptor& acceptor);
  void retry_accept(Acceptor& acceptor, boost::system::error_code ec);
  void tick();
  void on_drain(bool gentle);

  boost::asio::io_context io_{1};
  std::shared_ptr<View> view_;
  std::vector<std::weak_ptr<View>> old_views_;  // pinned by requests still in flight: flushed by the tick
  std::deque<Acceptor> acceptors_;              // a deque: callbacks keep references; closed ones stay
  boost::asio::steady_timer timer_{io_};
  SessionList sessions_;
  Clock clock_;
  handlers::FileCache file_cache_;
  Traffic traffic_;
  std::time_t last_flush_ = 0;
  bool draining_ = false;
  std::optional<std::chrono::steady_clock::time_point> gentle_until_;
};

}  // namespace gatehouse::http

// The HTTP server as a whole: the router, the access logs, the listening
// addresses and one Worker (thread, io_context, acceptors) per I/O thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "http/access_log.hpp"
#include "http/router.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {

// A listening socket bound by the supervisor for one I/O thread (issue 9).
struct BoundListener {
  ListenAddress address;
  unsigned thread = 0;
  UniqueFd fd;
};

class Server {
 public:
  // Opens every physical root, creates the log folders and binds every
  // listening address (a port held by another process is an error here, not
  // a silently shared SO_REUSEPORT group). `config` must outlive the server.
  static Result<std::unique_ptr<Server>> create(const config::Config& config);
  // The same server on sockets bound elsewhere (bind_listeners, in the
  // supervisor): it binds nothing itself. Listeners of a thread it does not have are refused.
  // `router` is built by the caller (Router::build opens the physical roots:
  // the front does it as root, before it confines itself).
  static Result<std::unique_ptr<Server>> adopt(const config::Config& config, Router router,
                                               std::vector<BoundListener> listeners);
  // Binds what create() would (one SO_REUSEPORT socket per address and I/O
  // thread), for a process that hands them to the server of another.
  static Result<std::vector<BoundListener>> bind_listeners(const config::Config& config);
  // The number of I/O threads of `config` (server.threads, or one per CPU).
  static unsigned thread_count(const config::Config& config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // "http://127.0.0.1:8081/ (site shop)", one per binding.
  std::vector<std::string> urls() const;
  const std::vector<ListenAddress>& addresses() const { return addresses_; }

  // Every request goes through `gate` (which must outlive the server's
  // threads: call gate.stop() after stop()). Before start().
  void set_auth_gate(AuthGate& gate);

  // PHP requests go through a PhpRouting per I/O thread, made by `make`
  // from that thread's executor; the pool set behind it must outlive the
  // server's threads (stop it after stop()). Before start(). Without it,
  // scripts are answered 404.3.
  using PhpFactory = std::function<std::unique_ptr<handlers::PhpRouting>(boost::asio::any_io_executor)>;
  void set_php(const PhpFactory& make);

  void start();
  // Every access log reopens its file at its next write. Any thread.
  void reopen_logs();
  // Requests per site ("_httperr": those no site took) by status class
  // (index 1..5 for 1xx..5xx). Any thread.
  std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> site_counts() const;
  // Stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish for up to `grace`, then stops the rest; flushes the logs.
  void stop(std::chrono::seconds grace);

 private:
  explicit Server(const config::Config& config, Router router);
  Status open_logs();
  Status bind_all();

  const config::Config& config_;
  Router router_;
  std::vector<std::unique_ptr<AccessLog>> logs_;  // per site, then unrouted
  std::vector<ListenAddress> addresses_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  unsigned finished_ = 0;
};

}  // namespace gatehouse::http

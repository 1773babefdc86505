// The HTTP server as a whole: the current snapshot (router, gate, access logs),
// the listening addresses and one Worker (thread, io_context, acceptors) per
// I/O thread. A reload swaps the snapshot and opens or closes addresses.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
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
#include "http/snapshot.hpp"
#include "http/worker.hpp"
#include "tls/contexts.hpp"

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
                                               std::vector<BoundListener> listeners,
                                               std::unique_ptr<tls::Contexts> tls);
  // Binds what create() would (one SO_REUSEPORT socket per address and I/O
  // thread), for a process that hands them to the server of another.
  // `keep`: sockets a reload keeps (matched by address and thread).
  static Result<std::vector<BoundListener>> bind_listeners(const config::Config& config,
                                                           std::vector<BoundListener> keep = {});
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
  using PhpFactory = http::PhpFactory;
  void set_php(const PhpFactory& make);

  // Reload. prepare: a snapshot of `config` (its router opens every physical
  // root; a site kept by name keeps its access log), changing nothing yet.
  // swap: binds the new listening addresses (an error changes nothing), hands
  // the snapshot to every I/O thread for their next requests, and closes the
  // addresses no binding uses any more. From one thread at a time, after start().
  Result<std::shared_ptr<const Snapshot>> prepare(std::shared_ptr<const config::Config> config, AuthGate* gate,
                                                  PhpFactory php);
  Status swap(std::shared_ptr<const Snapshot> next);
  // Whether swap could bind the addresses `next` adds (a probe, as at start).
  Status probe_new(const Snapshot& next) const;
  std::shared_ptr<const Snapshot> current() const;
  // Per site of the current configuration, then "_httperr". Any thread.
  std::vector<metrics::SiteSample> site_metrics() const;
  // Requests arrived and in flight, all I/O threads together (issue 18: drain). Any thread.
  TrafficSample traffic() const;

  void start();
  // Every access log reopens its file at its next write. Any thread.
  void reopen_logs();
  // Requests per site ("_httperr": those no site took) by status class
  // (index 1..5 for 1xx..5xx). Any thread.
  std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> site_counts() const;
  // Stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish for up to `grace`, then stops the rest; flushes the logs.
  // `gentle`: see Worker::drain (a reload under the split, issue 9).
  void stop(std::chrono::seconds grace, bool gentle = false);

 private:
  Server() = default;
  Status open_logs(const config::Config& config, Snapshot& into);
  Status bind_all();

  LogWriter log_writer_;               // first: the snapshots' views may still flush while the rest goes
  std::shared_ptr<Snapshot> initial_;  // until start(): set_auth_gate and set_php fill it
  std::shared_ptr<const Snapshot> current_;
  std::map<std::string, std::weak_ptr<AccessLog>> log_by_dir_;                 // a kept site keeps its log
  std::map<std::string, std::weak_ptr<metrics::SiteMetrics>> metrics_by_dir_;  // and its counters
  mutable std::mutex current_mutex_;
  std::unique_ptr<tls::Contexts> tls_;  // https bindings' certificates, read at create(); a reload keeps them
  std::vector<ListenAddress> addresses_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  unsigned finished_ = 0;
};

}  // namespace gatehouse::http

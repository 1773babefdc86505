// One configuration generation as the I/O threads see it (reload, issue 12):
// an immutable Snapshot (configuration, router, authentication gate, access
// logs) swapped whole, and a View per I/O thread that a request pins, so a
// request keeps the snapshot it started with while new ones take the new one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Asio (see design.md)
#include <vector>

#include "config/model.hpp"
#include "handlers/php_routing.hpp"
#include "http/access_log.hpp"
#include "http/forwarding.hpp"
#include "http/log_writer.hpp"
#include "http/router.hpp"
#include "metrics/histogram.hpp"

namespace gatehouse::http {

class AuthGate;

// PHP requests go through a PhpRouting per I/O thread and snapshot, made
// from that thread's executor.
using PhpFactory = std::function<std::unique_ptr<handlers::PhpRouting>(boost::asio::any_io_executor)>;

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  Router router;
  AuthGate* gate = nullptr;  // nullptr: every request acts as the server itself
  PhpFactory php;            // empty: scripts get 404.3
  // Per site in configuration order, then requests no site took. A site kept
  // across a reload keeps its log object (and its counters).
  std::vector<std::shared_ptr<AccessLog>> logs;
  std::vector<std::shared_ptr<metrics::SiteMetrics>> metrics;  // the same slots
  LogWriter* writer = nullptr;                                 // the server's (Server::open_logs sets it)
};

// One I/O thread's use of a snapshot: its PhpRouting and its access-log
// buffers. Only that thread touches it; it flushes its buffers when it goes.
class View {
 public:
  View(std::shared_ptr<const Snapshot> snapshot, boost::asio::any_io_executor executor);
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  ~View();

  const Snapshot& snapshot() const { return *snapshot_; }
  const config::Config& config() const { return *snapshot_->config; }
  handlers::PhpRouting* php() const { return php_.get(); }
  std::size_t unrouted_slot() const { return buffers_.size() - 1; }
  void log(std::size_t slot, const AccessRecord& record);
  void flush(std::time_t now);
  // Who the client is behind a balancer, by this snapshot's sites and
  // trusted_proxies (rebuilt with each snapshot, so a reload applies it).
  Forwarding& forwarding() { return forwarding_; }

 private:
  void write_out(std::size_t slot, std::time_t now);

  std::shared_ptr<const Snapshot> snapshot_;
  std::unique_ptr<handlers::PhpRouting> php_;
  std::vector<std::string> buffers_;  // per log slot
  Forwarding forwarding_;
};

}  // namespace gatehouse::http

// The admin listener ([server.admin] listen, off by default): GET /metrics
// (Prometheus text), GET /status (the HTML status page) and GET /ready (a
// balancer's health check, readiness.hpp) on one thread,
// one short connection at a time, read-only. It samples the request counters
// every few seconds for the status page's chart.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "admin/render.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace gatehouse::admin {

class Server {
 public:
  using Source = std::function<Sample()>;
  // Whether `gatehouse drain` was called (GET /ready, issue 18); empty: never.
  using Draining = std::function<bool()>;
  // Binds `ip`:`port` (an IPv4 or IPv6 address) and starts the thread.
  static Result<std::unique_ptr<Server>> start(const std::string& ip, std::uint16_t port, Source source,
                                               Draining draining = {});
  // The same on a socket bound elsewhere (bind_listener, by the supervisor of issue 9).
  static Result<std::unique_ptr<Server>> serve(UniqueFd listener, Source source, Draining draining = {});
  // Binds `ip`:`port` and listens.
  static Result<UniqueFd> bind_listener(const std::string& ip, std::uint16_t port);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()
  void stop();

  static constexpr std::chrono::seconds kSampleEvery{2};
  static constexpr std::size_t kHistory = 150;  // five minutes

 private:
  Server(UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, Source source, Draining draining);
  void run();
  void sample();
  void serve_one(int fd);
  std::string answer(std::string_view method, std::string_view target);

  UniqueFd listener_, wake_read_, wake_write_;
  Source source_;
  Draining draining_;
  std::deque<Point> history_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

}  // namespace gatehouse::admin

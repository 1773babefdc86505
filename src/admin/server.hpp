// The admin listener ([server.admin] listen, off by default): GET /metrics
// (Prometheus text), GET /status (the HTML status page) and GET /ready (a
// balancer's health check, readiness.hpp) on one thread,
// one short connection at a time, read-only. It samples the request counters
// every few seconds for the status page's chart.
#pragma once

#include <sys/socket.h>

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
  struct Options {
    // Whether `gatehouse drain` was called (GET /ready, issue 18); empty: never.
    std::function<bool()> draining;
    // Whether a peer may connect ([server.admin] allow); empty: anyone. Others are closed unanswered.
    std::function<bool(const sockaddr_storage&)> allow;
  };
  // Binds `ip`:`port` (an IPv4 or IPv6 address) and starts the thread.
  static Result<std::unique_ptr<Server>> start(const std::string& ip, std::uint16_t port, Source source,
                                               Options options = {});
  // The same on a socket bound elsewhere (bind_listener, by the supervisor of issue 9).
  static Result<std::unique_ptr<Server>> serve(UniqueFd listener, Source source, Options options = {});
  // Binds `ip`:`port` and listens.
  static Result<UniqueFd> bind_listener(const std::string& ip, std::uint16_t port);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()
  void stop();

  static constexpr std::chrono::seconds kSampleEvery{2};
  static constexpr std::size_t kHistory = 150;  // five minutes

 private:
  Server(UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, Source source, Options options);
  void accept_one();
  void run();
  void sample();
  void serve_one(int fd);
  std::string answer(std::string_view method, std::string_view target);

  UniqueFd listener_, wake_read_, wake_write_;
  Source source_;
  Options options_;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::deque<Point> history_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

}  // namespace gatehouse::admin

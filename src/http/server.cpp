// Server start-up (roots, logs, binds), threads, and graceful stop.
#include "http/server.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "common/log.hpp"

namespace gatehouse::http {
namespace {

std::string describe(const ListenAddress& a) {
  auto ip = a.ip.to_string();
  return a.ip.is_v6() ? fmt::format("[{}]:{}", ip, a.port) : fmt::format("{}:{}", ip, a.port);
}

// Binds without SO_REUSEPORT: fails when anyone (even another Gatehouse with
// SO_REUSEPORT) already listens there. Returns the errno, 0 when free.
int probe(const ListenAddress& a) {
  boost::asio::ip::tcp::endpoint ep(a.ip, a.port);
  int fd = ::socket(a.ip.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.ip.is_v6()) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  int rc = ::bind(fd, ep.data(), static_cast<socklen_t>(ep.size()));
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// The socket Worker::listen would make, as a bare descriptor.
Result<UniqueFd> open_listener(const ListenAddress& a) {
  boost::asio::ip::tcp::endpoint ep(a.ip, a.port);
  UniqueFd fd(::socket(a.ip.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return std::unexpected(Error::sys("socket", describe(a)));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (a.ip.is_v6()) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), ep.data(), static_cast<socklen_t>(ep.size())) < 0)
    return std::unexpected(Error::sys("bind", describe(a)));
  if (::listen(fd.get(), SOMAXCONN) < 0) return std::unexpected(Error::sys("listen", describe(a)));
  return fd;
}

}  // namespace

unsigned Server::thread_count(const config::Config& config) {
  return config.server.threads ? config.server.threads : std::max(1u, std::thread::hardware_concurrency());
}

Result<std::vector<BoundListener>> Server::bind_listeners(const config::Config& config) {
  auto router = Router::build(config);
  if (!router) return std::unexpected(router.error());
  std::vector<BoundListener> out;
  const unsigned threads = thread_count(config);
  for (const auto& a : router->listen_addresses()) {
    int err = probe(a);
    if (err == EAFNOSUPPORT || (a.ip.is_v6() && err == EADDRNOTAVAIL)) {
      log::warn("IPv6 unavailable, not listening on {}", describe(a));
      continue;
    }
    if (err) return std::unexpected(Error::sys("bind", describe(a), err));
    for (unsigned t = 0; t < threads; ++t) {
      auto fd = open_listener(a);
      if (!fd) return std::unexpected(fd.error());
      out.push_back({a, t, std::move(*fd)});
    }
  }
  return out;
}

Result<std::unique_ptr<Server>> Server::adopt(const config::Config& config, Router router,
                                              std::vector<BoundListener> listeners) {
  std::unique_ptr<Server> server(new Server(config, std::move(router)));
  if (auto ok = server->open_logs(); !ok) return std::unexpected(ok.error());
  for (unsigned i = 0; i < thread_count(config); ++i)
    server->workers_.push_back(std::make_unique<Worker>(server->router_, config.server, server->logs_));
  for (auto& l : listeners) {
    if (l.thread >= server->workers_.size())
      return std::unexpected(Error::logic("adopt listening socket", describe(l.address), "no such I/O thread"));
    if (auto ok = server->workers_[l.thread]->adopt(l.address, std::move(l.fd)); !ok)
      return std::unexpected(ok.error());
    if (std::find(server->addresses_.begin(), server->addresses_.end(), l.address) == server->addresses_.end())
      server->addresses_.push_back(l.address);
  }
  return server;
}

Server::Server(const config::Config& config, Router router) : config_(config), router_(std::move(router)) {}

Server::~Server() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

Result<std::unique_ptr<Server>> Server::create(const config::Config& config) {
  auto router = Router::build(config);
  if (!router) return std::unexpected(router.error());
  std::unique_ptr<Server> server(new Server(config, std::move(*router)));
  if (auto ok = server->open_logs(); !ok) return std::unexpected(ok.error());
  unsigned threads = thread_count(config);
  for (unsigned i = 0; i < threads; ++i)
    server->workers_.push_back(std::make_unique<Worker>(server->router_, config.server, server->logs_));
  if (auto ok = server->bind_all(); !ok) return std::unexpected(ok.error());
  return server;
}

Status Server::open_logs() {
  std::error_code ec;
  std::filesystem::create_directories(config_.server.log_dir, ec);
  if (ec) return std::unexpected(Error::sys("mkdir", config_.server.log_dir.string(), ec.value()));
  for (const auto& site : config_.sites)
    logs_.push_back(std::make_unique<AccessLog>(config_.server.log_dir / site.name));
  // Requests no site took (bad Host, unparsable requests), like IIS's HTTPERR log.
  logs_.push_back(std::make_unique<AccessLog>(config_.server.log_dir / "_httperr"));
  return {};
}

Status Server::bind_all() {
  for (const auto& a : router_.listen_addresses()) {
    int err = probe(a);
    if (err == EAFNOSUPPORT || (a.ip.is_v6() && err == EADDRNOTAVAIL)) {
      log::warn("IPv6 unavailable, not listening on {}", describe(a));
      continue;
    }
    if (err) return std::unexpected(Error::sys("bind", describe(a), err));
    for (auto& w : workers_)
      if (auto ok = w->listen(a); !ok) return ok;
    addresses_.push_back(a);
  }
  return {};
}

std::vector<std::string> Server::urls() const {
  std::vector<std::string> out;
  for (const auto& site : config_.sites) {
    for (const auto& b : site.bindings) {
      std::string host = b.host != "*" ? b.host : (b.ip != "*" ? b.ip : "localhost");
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      out.push_back(fmt::format("{}://{}:{}/ (site {})", b.scheme, host, b.port, site.name));
    }
  }
  return out;
}

void Server::set_auth_gate(AuthGate& gate) {
  for (auto& w : workers_) w->set_auth_gate(&gate);
}

void Server::set_php(const PhpFactory& make) {
  for (auto& w : workers_) w->set_php(make(w->io().get_executor()));
}

void Server::reopen_logs() {
  for (const auto& log : logs_) log->reopen();
}

std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> Server::site_counts() const {
  std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> out;
  for (const auto& log : logs_) out.emplace_back(log->dir().filename().string(), log->counts());
  return out;
}

void Server::start() {
  for (auto& w : workers_) {
    threads_.emplace_back([this, worker = w.get()] {
      worker->run();
      std::lock_guard lock(mutex_);
      ++finished_;
      finished_cv_.notify_all();
    });
  }
}

void Server::stop(std::chrono::seconds grace) {
  for (auto& w : workers_) w->drain();
  {
    std::unique_lock lock(mutex_);
    bool done = finished_cv_.wait_for(lock, grace, [&] { return finished_ == workers_.size(); });
    if (!done) log::warn("shutdown: in-flight requests still running after {}s, closing them", grace.count());
  }
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& w : workers_) w->flush_logs();
}

}  // namespace gatehouse::http

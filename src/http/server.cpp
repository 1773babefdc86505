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

// What the TLS contexts were built from. A reload cannot rebuild them (the
// keys are root's), and must never serve a new https address as plain http.
std::string tls_signature(const config::Config& c) {
  const auto& t = c.server.tls;
  std::string out = t.ciphers + "|" + t.ciphersuites + "|" + t.min_version + "|" +
                    std::to_string(t.ticket_key_rotation.count()) + "|" + (t.http2 ? "h2" : "") +
                    (t.ocsp_stapling ? "ocsp" : "");
  for (const auto& site : c.sites)
    for (const auto& b : site.bindings) {
      if (!b.https()) continue;
      auto path = [](const std::optional<config::Path>& p) { return p ? p->string() : std::string{}; };
      out += "\n" + b.ip + ":" + std::to_string(b.port) + ":" + b.host + "|" +
             path(b.certificate ? b.certificate : site.tls.certificate) + "|" + path(b.key ? b.key : site.tls.key) +
             "|" + path(site.tls.ocsp_response);
    }
  return out;
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

Result<std::vector<BoundListener>> Server::bind_listeners(const config::Config& config,
                                                          std::vector<BoundListener> keep) {
  auto router = Router::build(config);
  if (!router) return std::unexpected(router.error());
  std::vector<BoundListener> out;
  const unsigned threads = thread_count(config);
  for (const auto& a : router->listen_addresses()) {
    const bool held = std::any_of(keep.begin(), keep.end(), [&](const BoundListener& k) { return k.address == a; });
    if (held) {  // a reload (issue 9): the sockets already bound stay; more threads get more
      for (unsigned t = 0; t < threads; ++t) {
        auto it = std::find_if(keep.begin(), keep.end(),
                               [&](const BoundListener& k) { return k.address == a && k.thread == t; });
        if (it != keep.end()) {
          out.push_back({a, t, std::move(it->fd)});
          continue;
        }
        auto fd = open_listener(a);
        if (!fd) return std::unexpected(fd.error());
        out.push_back({a, t, std::move(*fd)});
      }
      continue;
    }
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
                                              std::vector<BoundListener> listeners,
                                              std::unique_ptr<tls::Contexts> tls) {
  std::unique_ptr<Server> server(new Server());
  server->tls_ = std::move(tls);  // built by the caller while it could still read the keys
  auto shared = std::shared_ptr<const config::Config>(&config, [](const config::Config*) {});
  server->initial_ = std::make_shared<Snapshot>(Snapshot{shared, std::move(router), nullptr, {}, {}, {}});
  if (auto ok = server->open_logs(config, *server->initial_); !ok) return std::unexpected(ok.error());
  server->current_ = server->initial_;
  for (unsigned i = 0; i < thread_count(config); ++i)
    server->workers_.push_back(std::make_unique<Worker>(server->initial_));
  for (auto& l : listeners) {
    if (l.thread >= server->workers_.size())
      return std::unexpected(Error::logic("adopt listening socket", describe(l.address), "no such I/O thread"));
    const tls::PortContexts* port_tls = server->tls_ ? server->tls_->port(l.address.port) : nullptr;
    if (auto ok = server->workers_[l.thread]->adopt_fd(l.address, std::move(l.fd), port_tls); !ok)
      return std::unexpected(ok.error());
    if (std::find(server->addresses_.begin(), server->addresses_.end(), l.address) == server->addresses_.end())
      server->addresses_.push_back(l.address);
  }
  return server;
}

Server::~Server() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

Result<std::unique_ptr<Server>> Server::create(const config::Config& config) {
  std::unique_ptr<Server> server(new Server());
  // The first configuration belongs to the caller (it outlives the server).
  auto shared = std::shared_ptr<const config::Config>(&config, [](const config::Config*) {});
  auto router = Router::build(config);
  if (!router) return std::unexpected(router.error());
  server->initial_ = std::make_shared<Snapshot>(Snapshot{shared, std::move(*router), nullptr, {}, {}, {}});
  if (auto ok = server->open_logs(config, *server->initial_); !ok) return std::unexpected(ok.error());
  server->current_ = server->initial_;
  auto contexts =
      tls::Contexts::build(config, Worker::h2_served());  // before any privilege is dropped: keys are root's
  if (!contexts) return std::unexpected(contexts.error());
  server->tls_ = std::move(*contexts);
  unsigned threads = thread_count(config);
  for (unsigned i = 0; i < threads; ++i) server->workers_.push_back(std::make_unique<Worker>(server->initial_));
  if (auto ok = server->bind_all(); !ok) return std::unexpected(ok.error());
  return server;
}

Status Server::open_logs(const config::Config& config, Snapshot& into) {
  into.writer = &log_writer_;
  std::error_code ec;
  std::filesystem::create_directories(config.server.log_dir, ec);
  if (ec) return std::unexpected(Error::sys("mkdir", config.server.log_dir.string(), ec.value()));
  std::lock_guard lock(current_mutex_);  // log_by_dir_: reopen_logs runs on the main thread
  auto log_for = [&](const config::Path& dir) {
    auto kept = log_by_dir_[dir.string()].lock();
    if (!kept) {
      kept = std::make_shared<AccessLog>(dir);
      log_by_dir_[dir.string()] = kept;
    }
    into.logs.push_back(std::move(kept));
    auto counters = metrics_by_dir_[dir.filename().string()].lock();
    if (!counters) {
      counters = std::make_shared<metrics::SiteMetrics>();
      metrics_by_dir_[dir.filename().string()] = counters;
    }
    into.metrics.push_back(std::move(counters));
  };
  for (const auto& site : config.sites) log_for(config.server.log_dir / site.name);
  // Requests no site took (bad Host, unparsable requests), like IIS's HTTPERR log.
  log_for(config.server.log_dir / "_httperr");
  return {};
}

Status Server::bind_all() {
  for (const auto& a : current_->router.listen_addresses()) {
    int err = probe(a);
    if (err == EAFNOSUPPORT || (a.ip.is_v6() && err == EADDRNOTAVAIL)) {
      log::warn("IPv6 unavailable, not listening on {}", describe(a));
      continue;
    }
    if (err) return std::unexpected(Error::sys("bind", describe(a), err));
    for (auto& w : workers_)
      if (auto ok = w->listen(a, tls_->port(a.port)); !ok) return ok;
    addresses_.push_back(a);
  }
  return {};
}

Result<std::shared_ptr<const Snapshot>> Server::prepare(std::shared_ptr<const config::Config> config, AuthGate* gate,
                                                        PhpFactory php) {
  auto router = Router::build(*config);
  if (!router) return std::unexpected(router.error());
  auto next = std::make_shared<Snapshot>(Snapshot{config, std::move(*router), gate, std::move(php), {}, {}});
  if (auto ok = open_logs(*config, *next); !ok) return std::unexpected(ok.error());
  return next;
}

// New addresses are bound on every worker first: a failure closes what was
// opened and leaves everything as it was. Addresses that stay are untouched.
Status Server::swap(std::shared_ptr<const Snapshot> next) {
  std::shared_ptr<const Snapshot> now;
  {
    std::lock_guard lock(current_mutex_);
    now = current_;
  }
  if (tls_signature(*next->config) != tls_signature(*now->config))
    return std::unexpected(Error::logic("reload", "",
                                        "https bindings, their certificates or [server.tls] changed: a reload "
                                        "cannot apply TLS changes; restart Gatehouse to apply them"));
  std::vector<ListenAddress> wanted;
  for (const auto& a : next->router.listen_addresses()) {
    const bool kept = std::find(addresses_.begin(), addresses_.end(), a) != addresses_.end();
    if (kept) {
      wanted.push_back(a);
      continue;
    }
    int err = probe(a);
    if (err == EAFNOSUPPORT || (a.ip.is_v6() && err == EADDRNOTAVAIL)) continue;
    if (err) return std::unexpected(Error::sys("bind", describe(a), err));
    wanted.push_back(a);
  }
  std::vector<std::pair<ListenAddress, std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>>>> opened;
  for (const auto& a : wanted) {
    if (std::find(addresses_.begin(), addresses_.end(), a) != addresses_.end()) continue;
    opened.emplace_back(a, std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>>{});
    for (auto& w : workers_) {
      auto acceptor = w->open_acceptor(a);
      if (!acceptor) return std::unexpected(acceptor.error());  // the acceptors opened so far close here
      opened.back().second.push_back(std::move(*acceptor));
    }
  }
  {
    std::lock_guard lock(current_mutex_);
    current_ = next;
  }
  for (auto& w : workers_) w->swap(next);
  for (auto& [address, acceptors] : opened) {
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->adopt(address, std::move(acceptors[i]));
    log::info("reload: listening on {}", describe(address));
  }
  for (const auto& a : addresses_) {
    if (std::find(wanted.begin(), wanted.end(), a) != wanted.end()) continue;
    for (auto& w : workers_) w->close_acceptor(a);
    log::info("reload: no binding uses {} any more: closed", describe(a));
  }
  addresses_ = std::move(wanted);
  return {};
}

Status Server::probe_new(const Snapshot& next) const {
  for (const auto& a : next.router.listen_addresses()) {
    if (std::find(addresses_.begin(), addresses_.end(), a) != addresses_.end()) continue;
    int err = probe(a);
    if (err && err != EAFNOSUPPORT && !(a.ip.is_v6() && err == EADDRNOTAVAIL))
      return std::unexpected(Error::sys("bind", describe(a), err));
  }
  return {};
}

std::shared_ptr<const Snapshot> Server::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

std::vector<std::string> Server::urls() const {
  std::vector<std::string> out;
  for (const auto& site : current()->config->sites) {
    for (const auto& b : site.bindings) {
      std::string host = b.host != "*" ? b.host : (b.ip != "*" ? b.ip : "localhost");
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      out.push_back(fmt::format("{}://{}:{}/ (site {})", b.scheme, host, b.port, site.name));
    }
  }
  return out;
}

void Server::set_auth_gate(AuthGate& gate) {
  initial_->gate = &gate;
  for (auto& w : workers_) w->set_snapshot(initial_);
}

void Server::set_php(const PhpFactory& make) {
  initial_->php = make;
  for (auto& w : workers_) w->set_snapshot(initial_);
}

void Server::reopen_logs() {
  std::lock_guard lock(current_mutex_);
  for (const auto& [dir, weak] : log_by_dir_)
    if (auto log = weak.lock()) log->reopen();
}

std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> Server::site_counts() const {
  std::vector<std::pair<std::string, std::array<std::uint64_t, 6>>> out;
  for (const auto& log : current()->logs) out.emplace_back(log->dir().filename().string(), log->counts());
  return out;
}

std::vector<metrics::SiteSample> Server::site_metrics() const {
  auto snapshot = current();
  std::vector<metrics::SiteSample> out;
  for (std::size_t i = 0; i < snapshot->metrics.size(); ++i)
    out.push_back(snapshot->metrics[i]->sample(snapshot->logs[i]->dir().filename().string()));
  return out;
}

TrafficSample Server::traffic() const {
  TrafficSample sum;
  for (const auto& w : workers_) {
    auto t = w->traffic().sample();
    sum.arrived += t.arrived;
    sum.in_flight += t.in_flight;
  }
  return sum;
}

void Server::start() {
  initial_.reset();
  log_writer_.start();
  for (auto& w : workers_) {
    threads_.emplace_back([this, worker = w.get()] {
      worker->run();
      std::lock_guard lock(mutex_);
      ++finished_;
      finished_cv_.notify_all();
    });
  }
}

void Server::stop(std::chrono::seconds grace, bool gentle) {
  for (auto& w : workers_) w->drain(gentle);
  {
    std::unique_lock lock(mutex_);
    bool done = finished_cv_.wait_for(lock, grace, [&] { return finished_ == workers_.size(); });
    if (!done) log::warn("shutdown: in-flight requests still running after {}s, closing them", grace.count());
  }
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& w : workers_) w->flush_logs();
  log_writer_.stop();  // what the threads handed over is on disk
}

}  // namespace gatehouse::http

// The admin thread: poll(listener, wake pipe) with a timeout that drives the sampling.
#include "admin/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "admin/readiness.hpp"
#include "common/log.hpp"

namespace gatehouse::admin {
namespace {

constexpr std::size_t kMaxHead = 8192;

Result<UniqueFd> listen_on(const std::string& ip, std::uint16_t port) {
  const bool v6 = ip.find(':') != std::string::npos;
  const std::string target = (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(Error::sys("socket", target));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return std::unexpected(Error::sys("bind", target + " (admin listener)"));
  if (::listen(fd.get(), 16) != 0) return std::unexpected(Error::sys("listen", target));
  return fd;
}

std::string response(unsigned status, std::string_view reason, std::string_view type, const std::string& body,
                     bool head) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
      "img-src 'self'\r\n\r\n{}",
      status, reason, type, body.size(), head ? std::string() : body);
}

}  // namespace

Result<UniqueFd> Server::bind_listener(const std::string& ip, std::uint16_t port) { return listen_on(ip, port); }

Result<std::unique_ptr<Server>> Server::start(const std::string& ip, std::uint16_t port, Source source,
                                              Options options) {
  auto listener = listen_on(ip, port);
  if (!listener) return std::unexpected(listener.error());
  return serve(std::move(*listener), std::move(source), std::move(options));
}

Result<std::unique_ptr<Server>> Server::serve(UniqueFd listener, Source source, Options options) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::unexpected(Error::sys("pipe2", "admin listener"));
  std::unique_ptr<Server> server(new Server(std::move(listener), UniqueFd(pipe_fds[0]), UniqueFd(pipe_fds[1]),
                                            std::move(source), std::move(options)));
  server->sample();
  server->thread_ = std::thread([s = server.get()] { s->run(); });
  return server;
}

Server::Server(UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write, Source source, Options options)
    : listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      source_(std::move(source)),
      options_(std::move(options)) {}

Server::~Server() { stop(); }

void Server::stop() {
  if (!thread_.joinable()) return;
  char byte = 0;
  while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void Server::sample() {
  const Sample s = source_();
  Point p{std::chrono::steady_clock::now(), 0, 0};
  for (const auto& site : s.sites) {
    for (auto n : site.by_class) p.requests += n;
    p.errors += site.by_class[5];
  }
  history_.push_back(p);
  if (history_.size() > kHistory) history_.pop_front();
}

void Server::run() {
  for (;;) {
    const auto next = history_.back().at + kSampleEvery;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::max<long>(0, wait.count())));
    if (n < 0 && errno != EINTR) {
      log::error("admin listener: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (std::chrono::steady_clock::now() >= next) sample();
    if (n > 0 && fds[0].revents) accept_one();
  }
}

// A peer outside [server.admin] allow is closed before it is read; refusals
// are logged once a second at most (a scanner must not fill the error log).
void Server::accept_one() {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  UniqueFd conn(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return;
  if (!options_.allow || options_.allow(peer)) return serve_one(conn.get());
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ < std::chrono::seconds(1)) return;
  last_refusal_log_ = now;
  char text[INET6_ADDRSTRLEN] = "?";
  const void* bytes = peer.ss_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
  ::inet_ntop(peer.ss_family, bytes, text, sizeof text);
  log::warn("admin listener: closed a connection from {} (not in [server.admin] allow)", text);
}

// One connection at a time: a client that says nothing waits 2 s at most.
void Server::serve_one(int fd) {
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHead) {
    auto got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) return;
    head.append(buf, static_cast<std::size_t>(got));
  }
  std::string reply;
  const auto line_end = head.find("\r\n");
  const std::string_view line = std::string_view(head).substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (head.find("\r\n\r\n") == std::string::npos || sp2 == std::string_view::npos)
    reply = response(400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", false);
  else
    reply = answer(line.substr(0, sp1), line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::size_t sent = 0;
  while (sent < reply.size()) {
    auto n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string Server::answer(std::string_view method, std::string_view target) {
  const bool head = method == "HEAD";
  if (method != "GET" && !head)
    return response(405, "Method Not Allowed", "text/plain; charset=utf-8", "GET or HEAD only\n", false);
  const auto path = target.substr(0, target.find('?'));
  if (path == "/metrics")
    return response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", prometheus(source_()), head);
  if (path == "/status" || path == "/") {
    auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    return response(200, "OK", "text/html; charset=utf-8", status_page(source_(), history_, up), head);
  }
  if (path == "/ready") {
    const auto reasons = not_ready(source_(), options_.draining && options_.draining());
    if (reasons.empty()) return response(200, "OK", "text/plain; charset=utf-8", "ready\n", head);
    std::string body;
    for (const auto& r : reasons) body += r + "\n";
    return response(503, "Service Unavailable", "text/plain; charset=utf-8", body, head);
  }
  return response(404, "Not Found", "text/plain; charset=utf-8", "not found: /metrics, /status or /ready\n", head);
}

}  // namespace gatehouse::admin

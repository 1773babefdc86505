// Test helpers for src/pool: a hand-rolled FastCGI exchange (the few bytes of
// one request, so these tests do not depend on src/fastcgi), a harness with a
// manager thread, temp folders and a /proc zombie scan.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pool/worker_pool.hpp"

namespace gatehouse::pool::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline void put_length(std::string& out, std::size_t n) {
  if (n < 128) {
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(0x80 | (n >> 24));
    out += static_cast<char>(n >> 16);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
  }
}

inline std::string record(std::uint8_t type, const std::string& content) {
  std::string r = {1,
                   static_cast<char>(type),
                   0,
                   1,
                   static_cast<char>(content.size() >> 8),
                   static_cast<char>(content.size() & 0xff),
                   0,
                   0};
  return r + content;
}

// Waits for the fd with poll: a hung worker fails the test instead of hanging it.
inline bool read_exact(int fd, char* data, std::size_t n) {
  while (n > 0) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    ssize_t got = ::read(fd, data, n);
    if (got <= 0) return false;
    data += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

inline bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Runs `script` (GET) on the lease's connection with FCGI_KEEP_CONN; returns
// STDOUT (CGI headers and body), or nullopt when the connection broke.
inline std::optional<std::string> run_php(Lease& lease, const fs::path& script) {
  int fd = lease.socket().native_handle();
  std::map<std::string, std::string> params = {{"SCRIPT_FILENAME", script.string()},
                                               {"SCRIPT_NAME", "/" + script.filename().string()},
                                               {"REQUEST_METHOD", "GET"},
                                               {"REQUEST_URI", "/" + script.filename().string()},
                                               {"QUERY_STRING", ""},
                                               {"SERVER_PROTOCOL", "HTTP/1.1"},
                                               {"GATEWAY_INTERFACE", "CGI/1.1"},
                                               {"REDIRECT_STATUS", "200"}};
  std::string pairs;
  for (const auto& [k, v] : params) {
    put_length(pairs, k.size());
    put_length(pairs, v.size());
    pairs += k + v;
  }
  std::string begin = {0, 1, 1, 0, 0, 0, 0, 0};  // RESPONDER, KEEP_CONN
  std::string out = record(1, begin) + record(4, pairs) + record(4, "") + record(5, "");
  if (!write_all(fd, out)) return std::nullopt;
  std::string stdout_data;
  for (;;) {
    char h[8];
    if (!read_exact(fd, h, 8)) return std::nullopt;
    std::size_t len = (static_cast<unsigned char>(h[4]) << 8) | static_cast<unsigned char>(h[5]);
    std::string body(len + static_cast<unsigned char>(h[6]), '\0');
    if (!body.empty() && !read_exact(fd, body.data(), body.size())) return std::nullopt;
    if (h[1] == 6) stdout_data += body.substr(0, len);
    if (h[1] == 3) return stdout_data;
  }
}

inline std::string body_of(const std::string& cgi) {
  auto pos = cgi.find("\r\n\r\n");
  return pos == std::string::npos ? cgi : cgi.substr(pos + 4);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/gh-pool-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
    ::chmod(path_.c_str(), 0755);  // workers that run as another account read scripts here
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text, fs::perms mode = fs::perms(0644)) const {
    auto p = path_ / name;
    std::ofstream(p) << text;
    fs::permissions(p, mode);
    return p;
  }

 private:
  fs::path path_;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NUL-separated /proc files (environ, cmdline) as a list.
inline std::vector<std::string> proc_list(pid_t pid, const char* what) {
  std::string raw = slurp(fs::path("/proc") / std::to_string(pid) / what);
  std::vector<std::string> out;
  std::string cur;
  for (char c : raw) {
    if (c == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// The parent pid from /proc/<pid>/stat (0 when gone).
inline pid_t parent_of(pid_t pid) {
  std::string stat = slurp(fs::path("/proc") / std::to_string(pid) / "stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

inline bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Children of this process in state Z.
inline std::vector<pid_t> zombie_children() {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp(entry.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid() && state == 'Z') out.push_back(std::stoi(name));
  }
  return out;
}

inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// A manager thread for the pool, and a caller io_context run by the test thread.
class Harness {
 public:
  Harness() : work_(manager_.get_executor()), thread_([this] { manager_.run(); }) {}
  // Pools die after the manager thread: no handler of theirs can still run.
  ~Harness() {
    for (auto& p : pools_) stop(*p);
    work_.reset();
    thread_.join();
    pools_.clear();
  }

  WorkerPool& make_pool(const config::Pool& pool, PoolOptions options = {}, accounts::Identity credentials = {}) {
    if (options.socket_dir.empty()) options.socket_dir = dir.path() / "sockets";
    if (options.socket_prefix.empty()) options.socket_prefix = pool.name;
    if (auto ok = ensure_socket_dir(options.socket_dir); !ok) throw std::runtime_error(ok.error().message());
    auto p = std::make_unique<WorkerPool>(manager_.get_executor(), make_spawn_spec(pool, std::move(credentials)),
                                          pool.fastcgi, std::move(options));
    p->start();
    pools_.push_back(std::move(p));
    return *pools_.back();
  }

  // Starts an acquire whose result lands in `slot` once the caller context runs.
  void start_acquire(WorkerPool& pool, std::optional<AcquireResult>& slot) {
    pool.async_acquire(caller.get_executor(), [&slot](AcquireResult r) { slot.emplace(std::move(r)); });
  }

  AcquireResult acquire(WorkerPool& pool) {
    std::optional<AcquireResult> slot;
    start_acquire(pool, slot);
    run_until([&] { return slot.has_value(); });
    if (!slot) throw std::runtime_error("acquire timed out");
    return std::move(*slot);
  }

  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) {
      caller.restart();
      caller.run_for(10ms);
    }
    return pred();
  }

  void stop(WorkerPool& pool) {
    std::atomic<bool> done = false;
    pool.async_stop([&done] { done = true; });
    run_until([&] { return done.load(); });
  }

  TempDir dir;
  boost::asio::io_context caller;

 private:
  boost::asio::io_context manager_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::vector<std::unique_ptr<WorkerPool>> pools_;
};

inline config::Pool php_pool(const std::string& name = "t") {
  config::Pool pool;
  pool.name = name;
  pool.php_cgi = "/usr/bin/php-cgi";
  pool.fastcgi.max_instances = 2;
  pool.fastcgi.queue_length = 10;
  return pool;
}

}  // namespace gatehouse::pool::test

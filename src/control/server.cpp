// The control thread: poll(listener, wake pipe), one short request at a time.
#include "control/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "control/socket.hpp"
#include "control/status.hpp"

namespace gatehouse::control {
namespace {

Result<sockaddr_un> address_of(const std::filesystem::path& path) {
  sockaddr_un addr{};
  if (path.native().size() >= sizeof addr.sun_path)
    return std::unexpected(Error::logic("control socket", path.string(), "path too long for a unix socket"));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  return addr;
}

// An existing path must be our own socket that nobody answers on (a server
// that crashed left it); anything else is refused rather than removed.
Status clear_stale(const std::filesystem::path& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Status{} : std::unexpected(Error::sys("lstat", path));
  if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid())
    return std::unexpected(Error::logic("control socket", path.string(), "exists and is not our socket: refused"));
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return std::unexpected(
        Error::logic("control socket", path.string(), "another gatehouse is running with this state_dir"));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return std::unexpected(Error::sys("unlink", path.string()));
  return {};
}

nlohmann::json error_reply(std::string message) { return {{"ok", false}, {"error", std::move(message)}}; }

}  // namespace

Result<UniqueFd> bind_socket(const std::filesystem::path& state_dir) {
  if (auto ok = check_folder(state_dir, ::geteuid()); !ok) return std::unexpected(ok.error());
  auto path = socket_path(state_dir);
  auto addr = address_of(path);
  if (!addr) return std::unexpected(addr.error());
  if (auto ok = clear_stale(path, *addr); !ok) return std::unexpected(ok.error());
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener) return std::unexpected(Error::sys("socket", path.string()));
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return std::unexpected(Error::sys("bind", path.string()));
  // The folder is ours and closed to writers, and every peer's uid is checked
  // on accept: the mode is a second fence, not the only one.
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(listener.get(), 16) != 0) {
    auto error = Error::sys("chmod/listen", path.string());
    ::unlink(path.c_str());
    return std::unexpected(error);
  }
  return listener;
}

Result<std::unique_ptr<Server>> Server::start(const std::filesystem::path& state_dir, pool::PoolSet& pools,
                                              SitesReport sites, ReloadAction reload, ServerHooks hooks) {
  auto listener = bind_socket(state_dir);
  if (!listener) return std::unexpected(listener.error());
  return serve(std::move(*listener), state_dir, pools, std::move(sites), std::move(reload), std::move(hooks));
}

Result<std::unique_ptr<Server>> Server::serve(UniqueFd listener, const std::filesystem::path& state_dir,
                                              pool::PoolSet& pools, SitesReport sites, ReloadAction reload,
                                              ServerHooks hooks) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::unexpected(Error::sys("pipe2", "control socket"));
  std::unique_ptr<Server> server(new Server(socket_path(state_dir), std::move(listener), UniqueFd(pipe_fds[0]),
                                            UniqueFd(pipe_fds[1]), pools, std::move(sites), std::move(reload)));
  server->hooks_ = std::move(hooks);
  server->thread_ = std::thread([s = server.get()] { s->run(); });
  return server;
}

Server::Server(std::filesystem::path path, UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write,
               pool::PoolSet& pools, SitesReport sites, ReloadAction reload)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      pools_(pools),
      sites_(std::move(sites)),
      reload_(std::move(reload)) {}

Server::~Server() { stop(); }

void Server::stop() {
  if (!thread_.joinable()) return;
  char byte = 0;
  while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  if (hooks_.unlink_on_stop) ::unlink(path_.c_str());
}

void Server::run() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("control socket: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) serve_one(conn.get());
  }
}

void Server::serve_one(int fd) {
  set_timeouts(fd, 2);  // one connection at a time: a silent client waits 2 s at most
  auto uid = peer_uid(fd);
  if (!uid || !trusted_peer(*uid, ::geteuid())) {
    log::warn("control socket: refused a client running as uid {}", uid ? std::to_string(*uid) : "?");
    (void)write_all(fd, error_reply("permission denied").dump() + "\n");
    return;
  }
  auto line = read_line(fd, 256);
  std::string reply = line ? answer(*line) : error_reply(line.error().message()).dump();
  (void)write_all(fd, reply + "\n");
}

std::string Server::answer(std::string_view line) {
  auto space = line.find(' ');
  auto verb = line.substr(0, space);
  auto arg = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  if (verb == "status" && arg.empty()) {
    auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    return nlohmann::json{{"ok", true},
                          {"pid", hooks_.pid ? hooks_.pid : ::getpid()},
                          {"uptime_seconds", up.count()},
                          {"pools", status_json(pools_.report(), hooks_.rss)},
                          {"sites", sites_ ? sites_() : nlohmann::json::array()}}
        .dump();
  }
  if (verb == "recycle" && !arg.empty()) {
    auto n = pools_.recycle(arg);
    if (!n) return error_reply(n.error().message()).dump();
    log::info("control socket: recycling pool {} ({} worker sets)", arg, *n);
    return nlohmann::json{{"ok", true}, {"pool", arg}, {"worker_sets", *n}}.dump();
  }
  if (verb == "reload" && arg.empty()) {
    if (!reload_) return error_reply("this server cannot reload").dump();
    log::info("control socket: reload");
    return reload_().dump();
  }
  // Through the signals the main thread already waits for, so `stop` is SIGTERM exactly.
  if ((verb == "stop" || verb == "reopen-logs") && arg.empty()) {
    log::info("control socket: {}", verb);
    if (hooks_.order)
      hooks_.order(verb);  // the supervisor stops or reopens everything (issue 9)
    else
      ::kill(::getpid(), verb == "stop" ? SIGTERM : SIGUSR1);
    return nlohmann::json{{"ok", true}}.dump();
  }
  if (verb == "drain") return answer_drain(arg);
  return error_reply("unknown command (status, recycle POOL, reload, stop, reopen-logs, drain)").dump();
}

// "drain begin QUIET_MS DEADLINE_MS", "drain status", "drain cancel": the CLI begins, then polls.
std::string Server::answer_drain(std::string_view arg) {
  if (!hooks_.drain) return error_reply("this server cannot drain").dump();
  const auto now = std::chrono::steady_clock::now();
  if (arg.starts_with("begin ")) {
    auto options = parse_drain_options(arg.substr(6));
    if (!options)
      return error_reply("drain begin: expected QUIET_MS DEADLINE_MS (quiet <= 1 h, 0 < deadline <= 24 h)").dump();
    auto progress = hooks_.drain->begin(*options, now);
    if (!progress.again && hooks_.drain_changed) hooks_.drain_changed(true);
    if (!progress.again)
      log::info("control socket: drain: readiness off; waiting for {} ms without a new request (at most {} ms)",
                options->quiet.count(), options->deadline.count());
    return drain_json(progress).dump();
  }
  if (arg == "status") {
    auto progress = hooks_.drain->observe(now);
    if (!progress) return error_reply("not draining").dump();
    if (progress->ended_now)
      log::info("control socket: drained in {} ms: {} requests arrived while draining, {} still in flight{}",
                progress->elapsed.count(), progress->seen, progress->in_flight,
                progress->deadline_passed ? " (the deadline passed while requests still arrived)" : "");
    return drain_json(*progress).dump();
  }
  if (arg == "cancel") {
    if (!hooks_.drain->cancel()) return error_reply("not draining").dump();
    if (hooks_.drain_changed) hooks_.drain_changed(false);
    log::info("control socket: drain cancelled: readiness on again");
    return nlohmann::json{{"ok", true}}.dump();
  }
  return error_reply("drain: begin QUIET_MS DEADLINE_MS, status or cancel").dump();
}

}  // namespace gatehouse::control

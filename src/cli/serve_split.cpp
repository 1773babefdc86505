// The two halves of `serve --split`: the supervisor's set-up and the front's main.
#include "cli/serve_split.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "accounts/grant.hpp"
#include "accounts/identity.hpp"
#include "accounts/pam_auth.hpp"
#include "accounts/provision.hpp"
#include "accounts/provision_ids.hpp"
#include "accounts/registry.hpp"
#include "accounts/security_model.hpp"
#include "admin/server.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "cli/serve_ops.hpp"
#include "cli/serve_start.hpp"
#include "common/log.hpp"
#include "config/load.hpp"
#include "control/sd_notify.hpp"
#include "control/server.hpp"
#include "control/socket.hpp"
#include "handlers/php_routing.hpp"
#include "http/auth_gate.hpp"
#include "http/server.hpp"
#include "http/worker.hpp"
#include "perms/acl.hpp"
#include "reload/diff.hpp"
#include "sandbox/front.hpp"
#include "sandbox/process_model.hpp"
#include "supervisor/front_link.hpp"
#include "supervisor/spawn_check.hpp"
#include "supervisor/supervisor.hpp"
#include "tls/contexts.hpp"

namespace gatehouse::cli {
namespace {

using namespace std::chrono_literals;

// FNV-1a of the configuration file's bytes (0 for the embedded demo): both
// processes must serve the same file, not one edited in between.
std::uint64_t hash_bytes(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// The configuration's bytes, read once: what is checked is what every front loads.
Result<std::string> read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(Error::sys("read", file));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_fd(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// gh-front, created with the ids [accounts] front_uid/gid pin (issue 18: every node alike).
Result<accounts::Identity> front_account(const config::Config& config) {
  const auto ids = accounts::pinned_for_front(config);
  if (auto ok = accounts::check_pinned(sandbox::kFrontAccount, ids); !ok) return std::unexpected(ok.error());
  auto id = accounts::resolve_identity(sandbox::kFrontAccount);
  if (id || id.error().errnum != ENOENT) return id;
  auto made = accounts::create_system_account(sandbox::kFrontAccount, ids);
  if (made) log::info("created account {} (uid {}, gid {})", sandbox::kFrontAccount, made->uid, made->gid);
  return made;
}

Status let_front_through(const std::filesystem::path& dir, const accounts::Identity& front) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return std::unexpected(Error::sys("open", dir));
  auto text = perms::read_acl_text(fd.get(), false);
  if (!text) return std::unexpected(text.error());
  // read_acl_text gives "u::rwx,g::r-x,o::---,u:990:r-x,m::r-x" (abbreviated, numeric ids).
  const std::string entry = "u:" + std::to_string(front.uid) + ":--x";
  // The mask keeps its bits (or the group's, without one) and gains x: the mode's
  // group bits change at most by x (0750 stays 0750).
  std::string acl, mask;
  for (std::size_t at = 0; at < text->size();) {
    auto end = text->find(',', at);
    std::string item = text->substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text->size() : end + 1;
    if (item.starts_with(entry.substr(0, entry.size() - 3))) return {};  // gh-front has an entry already
    if (item.starts_with("m::")) mask = item.substr(3, 3);
    if (item.starts_with("g::") && mask.empty()) mask = item.substr(3, 3);
    if (!item.starts_with("m::") && !item.empty()) acl += item + ",";
  }
  if (mask.size() != 3) mask = "---";
  mask[2] = 'x';
  acl += entry + ",m::" + mask;
  return perms::write_acl_text(fd.get(), false, acl);
}

// The front writes its access logs (one folder per site) and spools request
// bodies; everything else under log_dir and state_dir stays root's.
Status prepare_front_folders(const config::Config& config, const accounts::Identity& front) {
  const auto bodies = config.server.state_dir / "bodies";
  ::mkdir(bodies.c_str(), 0700);
  if (::lchown(bodies.c_str(), front.uid, front.gid) < 0 || ::chmod(bodies.c_str(), 0700) < 0)
    return std::unexpected(Error::sys("chown", bodies));
  // An ACL entry lets gh-front (only) pass through log_dir (root:adm 0750) to its own folders,
  // and through every ancestor of log_dir and state_dir closed to others (the access logs and
  // the body spool are opened by path).
  if (auto ok = let_front_through(config.server.log_dir, front); !ok) return ok;
  for (const auto& dir : {config.server.log_dir, config.server.state_dir})
    for (auto up = std::filesystem::absolute(dir).parent_path(); up != up.root_path(); up = up.parent_path()) {
      struct stat st {};
      if (::stat(up.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH) && st.st_uid != front.uid)
        if (auto ok = let_front_through(up, front); !ok) return ok;
    }
  std::vector<std::filesystem::path> dirs;
  for (const auto& site : config.sites) dirs.push_back(config.server.log_dir / site.name);
  dirs.push_back(config.server.log_dir / "_httperr");
  for (const auto& dir : dirs) {
    ::mkdir(dir.c_str(), 0750);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      return std::unexpected(Error::logic("prepare log folder", dir, "not a directory"));
    if (::lchown(dir.c_str(), front.uid, st.st_gid) < 0) return std::unexpected(Error::sys("chown", dir));
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.is_regular_file() && !entry.is_symlink()) ::lchown(entry.path().c_str(), front.uid, st.st_gid);
  }
  return {};
}

bool uses_basic(const config::Config& config) {
  for (const auto& site : config.sites)
    for (const auto& app : site.applications)
      if (app.authentication.basic_enabled) return true;
  return false;
}

// What serve_supervised owns and a reload replaces: every configuration
// stays alive (the supervisor's checks and the pool sets point into them).
struct SplitState {
  std::string file;
  std::vector<std::shared_ptr<const config::Config>> configs;
  std::vector<std::unique_ptr<pool::PoolSet>> pools;  // the last one builds the SpawnSpecs
  reload::IniDigests ini;
};

// The control socket's answer, cut to fit one ReloadResult.
supervisor::ReloadAnswer answer_of(reload::Outcome out) {
  auto json = outcome_json(out).dump();
  while (json.size() >= sizeof(supervisor::ReloadResult::json) - 1 &&
         !(out.changes.empty() && out.warnings.empty() && out.errors.size() <= 1)) {
    if (!out.changes.empty())
      out.changes.pop_back();
    else if (!out.warnings.empty())
      out.warnings.pop_back();
    else
      out.errors.pop_back();
    json = outcome_json(out).dump();
  }
  if (json.size() >= sizeof(supervisor::ReloadResult::json) - 1)
    json = out.ok ? R"({"ok": true})" : R"({"ok": false, "error": "see the error log"})";
  return {out.ok, json};
}

Result<UniqueFd> dup_fd(int fd) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (!copy) return std::unexpected(Error::sys("dup", "listening socket"));
  return copy;
}

// The supervisor's half of a reload under the split: everything that can
// fail comes before `options` changes (then the supervisor restarts the front).
supervisor::ReloadAnswer reload_split(SplitState& st, supervisor::SupervisorOptions& options) {
  reload::Outcome out;
  const std::string& file = st.file;
  auto fail = [&](std::string what) {
    out.errors.push_back(std::move(what));
    log::error("reload: {}", out.errors.back());
    log::error("reload: cannot apply {}: nothing changed, serving goes on", file);
    return answer_of(out);
  };
  if (file.empty()) return fail("the embedded demo has no file to read again: serve --config FILE to reload");
  log::info("reload: reading {}", file);
  auto bytes = read_bytes(file);
  if (!bytes) return fail(bytes.error().message());
  const std::uint64_t hash = hash_bytes(*bytes);
  std::shared_ptr<const config::Config> next;
  try {
    next = std::make_shared<const config::Config>(config::load_string(*bytes, file));
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) out.errors.push_back(p.str());
  } catch (const std::exception& e) {
    out.errors.push_back(fmt::format("{}: {}", file, e.what()));
  }
  if (!next) {
    for (const auto& e : out.errors) log::error("reload: {}", e);
    log::error("reload: {} is not valid ({} problem(s)): nothing changed, serving goes on", file, out.errors.size());
    return answer_of(out);
  }
  const config::Config& old = *options.config;
  if (next->server.state_dir != old.server.state_dir || next->server.log_dir != old.server.log_dir)
    return fail("state_dir and log_dir cannot change while serving: restart gatehouse");
  for (const auto& w : next->warnings) out.warnings.push_back(w.str());
  auto ini = reload::read_ini_digests(*next);
  const auto d = reload::diff(old, st.ini, *next, ini);
  auto registry = accounts::Registry::load_locked(accounts::Registry::file_in(next->server.state_dir));
  if (!registry) return fail(registry.error().message());
  auto made = accounts::ensure_accounts(*next, *registry);
  if (!made) return fail("cannot provision the accounts: " + made.error().message());
  for (const auto& name : made->created) log::info("created account {}", name);
  auto front = front_account(*next);
  if (!front) return fail(front.error().message());
  if (auto ok = prepare_front_folders(*next, *front); !ok) return fail(ok.error().message());
  if (uses_basic(*next) && !accounts::find_pam_service())
    return fail("Basic authentication is enabled but PAM has no service file for gatehouse: run `make install-pam`");
  pool::PoolSetOptions pool_options;
  pool_options.resolve = accounts::worker_resolver(false);
  pool_options.sandbox = sandbox_resolver(*next);
  pool_options.cgroups = true;
  pool_options.pool.prestart = false;  // the supervisor's sets only describe workers: the front starts them
  auto pools = pool::PoolSet::create(*next, std::move(pool_options));
  if (!pools) return fail("cannot set up the application pools: " + pools.error().message());
  std::vector<http::BoundListener> keep;
  for (const auto& l : options.listeners) {
    auto fd = dup_fd(l.fd.get());
    if (!fd) return fail(fd.error().message());
    keep.push_back(
        {{boost::asio::ip::make_address(l.ip), static_cast<std::uint16_t>(l.port)}, l.thread, std::move(*fd)});
  }
  auto bound = http::Server::bind_listeners(*next, std::move(keep));
  if (!bound) return fail(bind_failure(*next, bound.error()));
  UniqueFd admin;
  const auto& a = next->server.admin;
  if (!a.listen.empty() && a.listen == old.server.admin.listen && options.admin) {
    auto fd = dup_fd(options.admin.get());
    if (!fd) return fail(fd.error().message());
    admin = std::move(*fd);
  } else if (!a.listen.empty()) {
    options.admin.reset();  // an address the new file moved: the old one closes first (same port, new ip)
    auto fd = admin::Server::bind_listener(a.ip, a.port);
    if (!fd) return fail(fd.error().message());
    admin = std::move(*fd);
  }
  // Nothing fails from here on.
  options.config = next.get();
  options.config_hash = hash;
  options.config_text = std::move(*bytes);
  options.pools = pools->get();
  options.listeners.clear();
  for (auto& l : *bound)
    options.listeners.push_back({l.address.ip.to_string(), l.address.port, l.thread, std::move(l.fd)});
  options.admin = std::move(admin);
  st.pools.back()->stop();
  st.pools.push_back(std::move(*pools));
  st.configs.push_back(std::move(next));
  st.ini = std::move(ini);
  out.ok = true;
  out.changes = d.changes;
  out.changes.push_back("the front restarts with the new configuration (privilege separation)");
  for (const auto& c : out.changes) log::info("reload: {}", c);
  log::info("reload: {} applied", file);
  return answer_of(out);
}
}  // namespace

void reclaim_front_folders(const config::Config& config) {
  const auto bodies = config.server.state_dir / "bodies";
  auto front = accounts::resolve_identity(sandbox::kFrontAccount);
  struct stat st {};
  if (front && ::lstat(bodies.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == front->uid)
    if (::lchown(bodies.c_str(), 0, 0) < 0)
      log::warn("cannot chown {} back to root: {}", bodies.string(), std::strerror(errno));
}

nlohmann::json sites_report(const http::Server& server) {
  auto sites = nlohmann::json::array();
  for (const auto& [name, c] : server.site_counts())
    sites.push_back({{"name", name},
                     {"requests", c[0] + c[1] + c[2] + c[3] + c[4] + c[5]},
                     {"1xx", c[1]},
                     {"2xx", c[2]},
                     {"3xx", c[3]},
                     {"4xx", c[4]},
                     {"5xx", c[5]}});
  return sites;
}

int serve_supervised(const config::Config& config, const std::string& config_file, pool::PoolSetOptions pool_options) {
  auto front = front_account(config);
  if (!front) {
    log::error("cannot provision the front's account {}: {}", sandbox::kFrontAccount, front.error().message());
    return 1;
  }
  if (auto ok = prepare_front_folders(config, *front); !ok) {
    log::error("cannot prepare the front's folders: {}", ok.error().message());
    return 1;
  }
  if (uses_basic(config))
    if (auto pam = accounts::find_pam_service(); !pam) {
      log::error("Basic authentication is enabled but PAM has no service file for gatehouse: run `make install-pam`");
      return 1;
    }
  // SIGCHLD joins the stop signals before any thread starts: the supervisor takes it by signalfd.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  pool_options.pool.prestart = false;  // the supervisor's sets only describe workers: the front starts them
  auto pools = pool::PoolSet::create(config, std::move(pool_options));
  if (!pools) {
    log::error("cannot set up the application pools: {}", pools.error().message());
    return 1;
  }
  SplitState state;
  state.file = config_file.empty() ? "" : std::filesystem::absolute(config_file).string();
  state.ini = reload::read_ini_digests(config);
  state.pools.push_back(std::move(*pools));
  auto bound = http::Server::bind_listeners(config);
  if (!bound) {
    log::error("{}", bind_failure(config, bound.error()));
    return 1;
  }
  supervisor::SupervisorOptions options;
  options.config = &config;
  options.front_argv = {"gatehouse", "serve", "--front-fd", "3"};
  if (!config_file.empty()) {
    // serve loaded the file a moment ago; these bytes are what every front loads from now on
    auto bytes = read_bytes(config_file);
    if (!bytes) {
      log::error("{}", bytes.error().message());
      return 1;
    }
    options.config_hash = hash_bytes(*bytes);
    options.config_text = std::move(*bytes);
    options.front_argv.insert(options.front_argv.end(), {"--config-fd", "4", "--config", state.file});
  }
  options.pools = state.pools.back().get();
  options.reopen_logs = [] { log::reopen(); };
  options.reload = [&state](supervisor::SupervisorOptions& o) { return reload_split(state, o); };
  for (auto& l : *bound)
    options.listeners.push_back({l.address.ip.to_string(), l.address.port, l.thread, std::move(l.fd)});
  std::string lines = banner(config);
  for (auto at = lines.find('\n'); !lines.empty(); at = lines.find('\n')) {
    log::info("{}", lines.substr(0, at));
    lines = at == std::string::npos ? "" : lines.substr(at + 1);
  }
  // The control socket: bound here (the state folder is root's), served by the front.
  auto control = control::bind_socket(config.server.state_dir);
  if (!control) {
    log::error("{}", control.error().message());
    return 1;
  }
  options.control = std::move(*control);
  if (const auto& a = config.server.admin; !a.listen.empty()) {  // served by the front, bound here
    auto admin = admin::Server::bind_listener(a.ip, a.port);
    if (!admin) {
      log::error("{}", admin.error().message());
      return 1;
    }
    options.admin = std::move(*admin);
    log::info("admin listener: http://{0}/metrics (Prometheus), http://{0}/status and http://{0}/ready", a.listen);
  }
  supervisor::Supervisor supervisor(std::move(options));
  control::sd_notify("READY=1");
  int rc = supervisor.run();
  control::sd_notify("STOPPING=1");
  for (auto& p : state.pools) p->stop();
  log::info("stopped");
  ::unlink(control::socket_path(config.server.state_dir).c_str());  // last: `gatehouse stop` returns then
  return rc;
}

int serve_front(const std::string& config_file, int fd, int config_fd) {
  std::uint64_t hash = 0;
  config::Config config;
  if (config_fd >= 0) {  // the bytes the supervisor checked (a file edited since is not read)
    const std::string bytes = read_fd(config_fd);
    hash = hash_bytes(bytes);
    try {
      config = config::load_string(bytes, config_file);
    } catch (const config::ConfigError& e) {
      for (const auto& problem : e.problems()) log::error("[front] {}", problem.str());
      return 1;
    }
  } else {
    config = load_config(config_file);
  }
  log::init(config.server.log_dir / "error.log", spdlog::level::info);
  auto channel = std::make_unique<supervisor::Channel>(UniqueFd(fd));
  auto hello = supervisor::receive_hello(*channel, config, hash, 10s);
  if (!hello) {
    log::error("[front] {}", hello.error().message());
    return 1;
  }
  const pid_t supervisor_pid = ::getppid();
  auto me = accounts::resolve_identity(sandbox::kFrontAccount);
  if (!me) {
    log::error("[front] {}", me.error().message());
    return 1;
  }
  // What is read once, before Landlock closes the rest: the time zone, the file limit.
  ::prctl(PR_SET_NAME, "gh-front");  // ps and the audit log name it (exec'd as /proc/self/exe)
  ::tzset();
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  auto spec = sandbox::front_sandbox_spec(config, me->uid, me->gid);
  // The physical roots are opened now, as root: they may be closed to gh-front (0700 with ACL entries
  // for the identities only); files below them are opened as the request identity.
  auto router = http::Router::build(config);
  if (!router) {
    log::error("[front] {}", router.error().message());
    return 1;
  }
  // The https bindings' keys are root's (0600): read them now, before confinement.
  auto tls_contexts = tls::Contexts::build(config, http::Worker::h2_served());
  if (!tls_contexts) {
    log::error("[front] {}", tls_contexts.error().message());
    return 1;
  }
  auto facts = sandbox::confine_front(spec);
  if (!facts) {
    log::error("[front] cannot confine itself: {}", facts.error().message());
    return 1;
  }
  // From here on: not root, no exec, no fork; threads may start.
  supervisor::FrontLink link(std::move(channel), config);
  if (auto ok = link.ready(); !ok) return 1;
  http::AuthGateOptions gate_options;
  gate_options.resolve = [&link](const std::string& account) { return link.resolve(account); };
  gate_options.authenticate = [&link](std::string_view user, std::string_view password, std::string_view remote) {
    return link.authenticate(user, password, remote);
  };
  auto gate = http::AuthGate::create(config, std::move(gate_options));
  if (!gate) {
    log::error("[front] cannot resolve the identities requests act as: {}", gate.error().message());
    return 1;
  }
  pool::PoolSetOptions pool_options;
  // Accounts are looked up by the supervisor (the front's sandbox keeps /etc/passwd at the inode of
  // confinement time, which useradd replaces).
  pool_options.resolve = [&link](const config::Pool& pool, const std::string& account) -> Result<accounts::Identity> {
    auto id = link.resolve(account);
    if (id && id->uid == 0) return std::unexpected(Error::logic("run worker as", account, "uid 0 is refused"));
    if (!id) id.error().context = "[pool " + pool.name + "]";
    return id;
  };
  pool_options.spawn_port = &link;
  // After a crash of the previous front: its php-cgi workers, still warm (issue 9).
  pool_options.adopt = std::make_shared<pool::Adoptions>(std::move(hello->adopted));
  auto pools = pool::PoolSet::create(config, std::move(pool_options));
  if (!pools) {
    log::error("[front] cannot set up the application pools: {}", pools.error().message());
    return 1;
  }
  std::vector<http::BoundListener> given;
  for (auto& l : hello->listeners)
    given.push_back(
        {{boost::asio::ip::make_address(l.ip), static_cast<std::uint16_t>(l.port)}, l.thread, std::move(l.fd)});
  auto server = http::Server::adopt(config, std::move(*router), std::move(given), std::move(*tls_contexts));
  if (!server) {
    log::error("[front] {}", server.error().message());
    return 1;
  }
  (*server)->set_auth_gate(**gate);
  auto scripts = script_policy(config);
  (*server)->set_php([&config, &pools, &scripts](boost::asio::any_io_executor executor) {
    auto routing = std::make_unique<handlers::PhpRouting>(config, **pools, std::move(executor));
    routing->set_script_policy(scripts);
    return routing;
  });
  auto drain = make_drain(config, **server);  // issue 18: the control socket drives it, GET /ready reads it
  if (hello->draining) {  // the front before this one was draining (a reload or a crash restarted it)
    drain->begin({}, std::chrono::steady_clock::now());
    log::info("[front] the node drains (`gatehouse drain` before this front started): GET /ready answers 503");
  }
  std::unique_ptr<control::Server> control;
  if (hello->control) {
    control::ServerHooks hooks;
    hooks.drain = drain.get();
    hooks.drain_changed = [&link](bool on) { link.order(on ? 4 : 5); };
    hooks.pid = supervisor_pid;
    hooks.order = [&link](std::string_view verb) { link.order(verb == "stop" ? 1 : 2); };
    hooks.rss = [&link](pid_t pid) { return link.rss_kib(pid); };
    hooks.unlink_on_stop = false;
    auto started = control::Server::serve(
        std::move(hello->control), config.server.state_dir, **pools, [&server] { return sites_report(**server); },
        [&link] {
          auto reply = nlohmann::json::parse(link.reload(), nullptr, false);
          if (reply.is_discarded()) return nlohmann::json{{"ok", false}, {"error", "reload: a malformed answer"}};
          return reply;
        },
        std::move(hooks));
    if (!started) {
      log::error("[front] {}", started.error().message());
      return 1;
    }
    control = std::move(*started);
  }
  std::unique_ptr<admin::Server> admin;
  if (hello->admin) {
    auto started = admin::Server::serve(
        std::move(hello->admin),
        [&pools, &server] {
          return admin::Sample{(*pools)->report(), (*server)->site_metrics()};
        },
        admin_options(config, *drain));
    if (!started) {
      log::error("[front] {}", started.error().message());
      return 1;
    }
    admin = std::move(*started);
  }
  (*server)->start();
  log::info("[front] serving as {} (uid {}): Landlock ABI {}, {} seccomp rules", me->name, me->uid, facts->landlock_abi,
            facts->allowed_syscalls);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGUSR1) break;
    (*server)->reopen_logs();  // the access logs; error.log came as a descriptor (FrontLink)
  }
  // For a reload, the control socket goes first: a command sent meanwhile
  // waits in its backlog for the new front, not for this one, which drains.
  if (control && link.stop_for_reload()) control->stop();
  (*server)->stop(config.server.shutdown_timeout, link.stop_for_reload());
  if (admin) admin->stop();
  (*pools)->stop();
  (*gate)->stop();
  if (control) control->stop();
  return 0;
}

}  // namespace gatehouse::cli

// The two halves of `serve --split`: the supervisor's set-up and the front's main.
#include "cli/serve_split.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "accounts/grant.hpp"
#include "accounts/identity.hpp"
#include "accounts/pam_auth.hpp"
#include "accounts/provision.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "cli/serve_start.hpp"
#include "common/log.hpp"
#include "control/sd_notify.hpp"
#include "handlers/php_routing.hpp"
#include "http/auth_gate.hpp"
#include "http/server.hpp"
#include "sandbox/front.hpp"
#include "sandbox/process_model.hpp"
#include "supervisor/front_link.hpp"
#include "supervisor/spawn_check.hpp"
#include "supervisor/supervisor.hpp"

namespace gatehouse::cli {
namespace {

using namespace std::chrono_literals;

// FNV-1a of the configuration file's bytes (0 for the embedded demo): both
// processes must serve the same file, not one edited in between.
std::uint64_t config_hash(const std::string& file) {
  if (file.empty()) return 0;
  std::ifstream in(file, std::ios::binary);
  std::uint64_t h = 1469598103934665603ull;
  for (std::istreambuf_iterator<char> it(in), end; it != end; ++it)
    h = (h ^ static_cast<unsigned char>(*it)) * 1099511628211ull;
  return h;
}

Result<accounts::Identity> front_account() {
  auto id = accounts::resolve_identity(sandbox::kFrontAccount);
  if (id || id.error().errnum != ENOENT) return id;
  auto made = accounts::create_system_account(sandbox::kFrontAccount);
  if (made) log::info("created account {}", sandbox::kFrontAccount);
  return made;
}

// The front writes its access logs (one folder per site) and spools request
// bodies; everything else under log_dir and state_dir stays root's.
Status prepare_front_folders(const config::Config& config, const accounts::Identity& front) {
  const auto bodies = config.server.state_dir / "bodies";
  ::mkdir(bodies.c_str(), 0700);
  if (::lchown(bodies.c_str(), front.uid, front.gid) < 0 || ::chmod(bodies.c_str(), 0700) < 0)
    return std::unexpected(Error::sys("chown", bodies));
  // 0751: the front (and anyone) may pass through to its own folders, not list them; files stay 0640.
  ::chmod(config.server.log_dir.c_str(), 0751);
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

}  // namespace

int serve_supervised(const config::Config& config, const std::string& config_file, pool::PoolSetOptions pool_options) {
  auto front = front_account();
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
  auto pools = pool::PoolSet::create(config, std::move(pool_options));
  if (!pools) {
    log::error("cannot set up the application pools: {}", pools.error().message());
    return 1;
  }
  auto bound = http::Server::bind_listeners(config);
  if (!bound) {
    log::error("{}", bind_failure(config, bound.error()));
    return 1;
  }
  supervisor::SupervisorOptions options;
  options.config = &config;
  options.config_hash = config_hash(config_file);
  options.front_argv = {"gatehouse", "serve", "--front-fd", "3"};
  if (!config_file.empty()) {
    options.front_argv.push_back("--config");
    options.front_argv.push_back(std::filesystem::absolute(config_file).string());
  }
  options.pools = pools->get();
  options.reopen_logs = [] { log::reopen(); };
  for (auto& l : *bound)
    options.listeners.push_back({l.address.ip.to_string(), l.address.port, l.thread, std::move(l.fd)});
  std::string lines = banner(config);
  for (auto at = lines.find('\n'); !lines.empty(); at = lines.find('\n')) {
    log::info("{}", lines.substr(0, at));
    lines = at == std::string::npos ? "" : lines.substr(at + 1);
  }
  log::warn("privilege separation: the control socket (gatehouse status/recycle) is not served in --split mode yet");
  supervisor::Supervisor supervisor(std::move(options));
  control::sd_notify("READY=1");
  int rc = supervisor.run();
  control::sd_notify("STOPPING=1");
  (*pools)->stop();
  log::info("stopped");
  return rc;
}

int serve_front(const std::string& config_file, int fd) {
  auto config = load_config(config_file);
  log::init(config.server.log_dir / "error.log", spdlog::level::info);
  auto channel = std::make_unique<supervisor::Channel>(UniqueFd(fd));
  auto listeners = supervisor::receive_hello(*channel, config_hash(config_file), 10s);
  if (!listeners) {
    log::error("[front] {}", listeners.error().message());
    return 1;
  }
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
  // Every worker set anonymous requests use, resolved while /etc/passwd is still the file of now.
  const auto resolve = accounts::worker_resolver(false);
  std::vector<accounts::Identity> resolved;
  for (const auto& key : supervisor::anonymous_worker_sets(config))
    if (const config::Pool* pool = config.find_pool(key.pool))
      if (auto id = resolve(*pool, key.account)) resolved.push_back(*id);
  auto facts = sandbox::confine_front(spec);
  if (!facts) {
    log::error("[front] cannot confine itself: {}", facts.error().message());
    return 1;
  }
  // From here on: not root, no exec, no fork; threads may start.
  supervisor::FrontLink link(std::move(channel), config);
  for (const auto& id : resolved) link.remember(id);
  if (auto ok = link.ready(); !ok) return 1;
  http::AuthGateOptions gate_options;
  gate_options.authenticate = [&link](std::string_view user, std::string_view password, std::string_view remote) {
    return link.authenticate(user, password, remote);
  };
  auto gate = http::AuthGate::create(config, std::move(gate_options));
  if (!gate) {
    log::error("[front] cannot resolve the identities requests act as: {}", gate.error().message());
    return 1;
  }
  pool::PoolSetOptions pool_options;
  pool_options.resolve = [&link, resolve](const config::Pool& pool,
                                          const std::string& account) -> Result<accounts::Identity> {
    auto fresh = resolve(pool, account);
    if (fresh) return fresh;
    if (auto known = link.known(account)) return *known;
    return fresh;
  };
  pool_options.spawn_port = &link;
  auto pools = pool::PoolSet::create(config, std::move(pool_options));
  if (!pools) {
    log::error("[front] cannot set up the application pools: {}", pools.error().message());
    return 1;
  }
  std::vector<http::BoundListener> given;
  for (auto& l : *listeners)
    given.push_back(
        {{boost::asio::ip::make_address(l.ip), static_cast<std::uint16_t>(l.port)}, l.thread, std::move(l.fd)});
  auto server = http::Server::adopt(config, std::move(given));
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
  (*server)->start();
  log::info("[front] serving as {} (uid {}): Landlock ABI {}, {} seccomp rules", me->name, me->uid, facts->landlock_abi,
            facts->allowed_syscalls);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGUSR1) break;
    (*server)->reopen_logs();  // the error log's file is root's: the front keeps its descriptor
  }
  (*server)->stop(config.server.shutdown_timeout);
  (*pools)->stop();
  (*gate)->stop();
  return 0;
}

}  // namespace gatehouse::cli

// `gatehouse serve [--config FILE] [--single-user]`: loads the configuration (or the embedded demo),
// provisions its accounts, starts the HTTP server, and stops it gracefully on SIGTERM or SIGINT (exit 0).
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "accounts/grant.hpp"
#include "accounts/provision.hpp"
#include "accounts/registry.hpp"
#include "cli/apply_output.hpp"
#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "cli/embedded.hpp"
#include "cli/serve_ops.hpp"
#include "cli/serve_split.hpp"
#include "cli/serve_start.hpp"
#include "common/log.hpp"
#include "control/sd_notify.hpp"
#include "control/server.hpp"
#include "h2/connection.hpp"
#include "handlers/php_routing.hpp"
#include "http/auth_gate.hpp"
#include "http/server.hpp"
#include "http/worker.hpp"
#include "pool/pool_set.hpp"
#include "sandbox/landlock.hpp"

namespace gatehouse::cli {
namespace {

// Blocks SIGTERM, SIGINT and SIGUSR1 in this thread (and so in every thread it
// starts afterwards): they are taken only by sigwait in wait_for_stop.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);  // reopen the logs (logrotate)
  sigaddset(&set, SIGHUP);   // reload the configuration
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // sendfile(2) has no MSG_NOSIGNAL
  return set;
}

// Each connection is a descriptor, and the usual soft limit (1024) would cap
// concurrent clients: raise the soft limit to the hard one.
void raise_file_limit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Returns SIGTERM or SIGINT; SIGUSR1 (logrotate, `gatehouse reopen-logs`)
// reopens the error log and the access logs, SIGHUP reloads, and it goes on waiting.
int wait_for_stop(const sigset_t& set, http::Server& server, reload::Reloader& reloader) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::info("SIGHUP received: reloading the configuration");
      (void)reloader.reload();
      continue;
    }
    if (sig != SIGUSR1) return sig;
    bool ok = log::reopen();
    server.reopen_logs();
    if (ok)
      log::info("SIGUSR1 received: log files reopened");
    else
      log::error("SIGUSR1 received: cannot reopen the error log");
  }
}

struct ServeOptions {
  std::string config_file;
  bool single_user = false;
  bool split = false;        // issue 9: a root supervisor and a sandboxed front (serve_split.hpp); root's default
  bool one_process = false;  // root without the split (debugging, comparisons)
  int front_fd = -1;         // internal: this process is the front, its channel on this fd
  int config_fd = -1;        // internal: the front reads the configuration's bytes on this fd
};

// As root: creates the accounts the configuration needs (recorded in the
// registry) and checks they resolve. Returns false when it cannot.
bool provision_accounts(const config::Config& config) {
  auto registry = accounts::Registry::load_locked(accounts::Registry::file_in(config.server.state_dir));
  if (!registry) {
    log::error("cannot read the accounts registry: {}", registry.error().message());
    return false;
  }
  auto set = accounts::ensure_accounts(config, *registry);
  if (!set) {
    log::error("cannot provision the accounts this configuration needs: {}", set.error().message());
    return false;
  }
  for (const auto& name : set->created) log::info("created account {}", name);
  return true;
}

// Not root: credentials cannot be switched, so a configuration whose pools or
// anonymous user are other accounts is refused unless the administrator
// accepts running everything as the invoking user (--single-user; the
// embedded demo implies it, so `make run` works for anyone).
std::optional<bool> single_user_mode(const config::Config& config, const ServeOptions& options) {
  if (::geteuid() == 0) {
    if (options.single_user) {
      log::error("--single-user as root would run every PHP worker as root: refused");
      return std::nullopt;
    }
    return false;
  }
  auto me = accounts::resolve_identity(::geteuid());
  const std::string my_name = me ? me->name : std::to_string(::geteuid());
  auto needs = accounts::plan_accounts(config);
  std::string others;
  if (needs)
    for (const auto& need : *needs)
      if (need.account != my_name) others += (others.empty() ? "" : ", ") + need.account;
  if (!needs) others = needs.error().message();
  if (!options.single_user && options.config_file.empty()) {
    log::warn("the embedded demo is served in single-user mode: not running as root");
  } else if (!options.single_user && !others.empty()) {
    const std::string command = "gatehouse serve --config " + shell_quote(options.config_file);
    log::error(
        "serve needs root, or --single-user: this configuration runs sites and pools as their own accounts "
        "({}). "
        "Run as root: sudo {}; or, without any isolation, as {}: {} --single-user",
        others, command, my_name, command);
    return std::nullopt;
  }
  log::warn(
      "SINGLE-USER MODE: every static file, PHP worker and authenticated user acts as {} (uid {}); "
      "pools, the anonymous account and users are NOT isolated from each other",
      my_name, ::geteuid());
  return true;
}

int serve(const ServeOptions& options) {
  http::Worker::serve_h2(h2::factory());  // https bindings speak HTTP/2 when ALPN chooses it
  if (options.front_fd >= 0) return serve_front(options.config_file, options.front_fd, options.config_fd);
  const std::string& config_file = options.config_file;
  // --config FILE, or the embedded demo; a bad file prints its problems and exits 1.
  auto config = load_config(config_file);
  // Root or --single-user is the first thing to know: before any file is opened.
  auto single_user = single_user_mode(config, options);
  if (!single_user) return 1;
  if (options.split && (*single_user || ::geteuid() != 0)) {
    log::error("--split needs root: the supervisor provisions accounts and the front drops to {}", "gh-front");
    return 1;
  }
  // As root the process that faces the network is the sandboxed front, unless --one-process.
  const bool split = ::geteuid() == 0 && !*single_user && !options.one_process;
  std::error_code ec;
  std::filesystem::create_directories(config.server.log_dir, ec);
  if (ec) {
    log::error("cannot create log_dir {}: {}", config.server.log_dir.string(), ec.message());
    return 1;
  }
  log::init(config.server.log_dir / "error.log", spdlog::level::info);
  close_log_dir(config.server.log_dir);
  log_config_warnings(config);
  auto signals = block_stop_signals();
  raise_file_limit();
  if (!*single_user && !provision_accounts(config)) return 1;
  if (!*single_user && config_file.empty()) apply_demo_permissions(config);
  if (!*single_user && !config_file.empty()) warn_if_plan_not_applied(config, config_file);
  // The PHP worker sets, declared before the server so they outlive its threads.
  std::filesystem::create_directories(config.server.state_dir, ec);  // its sockets/ folder is made 0700 below
  if (ec) {
    log::error("cannot create state_dir {}: {}", config.server.state_dir.string(), ec.message());
    return 1;
  }
  // Request bodies wait there for a PHP worker (handlers/body_buffer.hpp): the server's alone.
  // (split: the front's, made by serve_supervised.)
  if (!split && ::geteuid() == 0) reclaim_front_folders(config);
  if (auto ok = split ? Status{} : pool::ensure_socket_dir(config.server.state_dir / "bodies"); !ok) {
    log::error("cannot prepare the request body folder: {}", ok.error().message());
    return 1;
  }
  pool::PoolSetOptions pool_options;
  pool_options.resolve = accounts::worker_resolver(*single_user);
  pool_options.sandbox = sandbox_resolver(config);
  pool_options.cgroups = ::geteuid() == 0;
  if (sandbox::landlock_abi() == 0)
    log::warn("this kernel offers no Landlock (5.13 or later with lsm=landlock): PHP workers run WITHOUT a sandbox");
  if (split) return serve_supervised(config, config_file, std::move(pool_options));
  auto gate = http::AuthGate::create(config, http::AuthGateOptions{.single_user = *single_user});
  if (!gate) {
    log::error("cannot resolve the identities requests act as: {}", gate.error().message());
    return 1;
  }
  auto pools = pool::PoolSet::create(config, std::move(pool_options));
  if (!pools) {
    log::error("cannot set up the application pools: {}", pools.error().message());
    return 1;
  }
  auto server = http::Server::create(config);
  if (!server) {
    log::error("{}", bind_failure(config, server.error()));
    return 1;
  }
  (*server)->set_auth_gate(**gate);
  auto scripts = script_policy(config);
  (*server)->set_php([&config, &pools, &scripts](boost::asio::any_io_executor executor) {
    auto routing = std::make_unique<handlers::PhpRouting>(config, **pools, std::move(executor));
    routing->set_script_policy(scripts);
    return routing;
  });
  std::string lines = banner(config);
  for (auto at = lines.find('\n'); !lines.empty(); at = lines.find('\n')) {
    log::info("{}", lines.substr(0, at));
    lines = at == std::string::npos ? "" : lines.substr(at + 1);
  }
  if (config_file.empty())
    log::info(
        "the Gatehouse demo is ready: open http://127.0.0.1:8080/ in a browser, or https://127.0.0.1:8443/ "
        "(a self-signed certificate: the browser warns)");
  reload::Reloader reloader(config_file, config, **server, **pools, reload_builders(*single_user, **pools));
  // The control socket (gatehouse status, recycle, reload, stop, drain); refused when the state folder is not ours.
  auto drain = make_drain(config, **server);
  auto control = control::Server::start(
      config.server.state_dir, **pools, [&server] { return sites_report(**server); },
      [&reloader] { return outcome_json(reloader.reload()); }, control::ServerHooks{.drain = drain.get()});
  if (!control) {
    log::error("{}", control.error().message());
    return 1;
  }
  // metrics, status page and readiness, when configured
  auto admin = start_admin(config, **pools, **server, admin_options(config, *drain));
  if (!admin) {
    log::error("{}", admin.error().message());
    return 1;
  }
  (*server)->start();
  control::sd_notify("READY=1");
  int sig = wait_for_stop(signals, **server, reloader);
  control::sd_notify("STOPPING=1");
  log::info("{} received: stopping (in-flight requests get {}s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
            config.server.shutdown_timeout.count());
  (*server)->stop(config.server.shutdown_timeout);
  if (*admin) (*admin)->stop();
  reloader.stop();     // its gates, and no more retiring of worker sets
  (*pools)->stop();    // after in-flight requests finished: their workers end cleanly
  (*gate)->stop();     // password checks in flight post to the I/O threads' io_contexts
  (*control)->stop();  // last: `gatehouse stop` returns when the socket is gone
  log::info("stopped");
  return 0;
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "serve the configured sites over HTTP");
  auto options = std::make_shared<ServeOptions>();
  cmd->add_option("--config", options->config_file, "configuration file (TOML); without it, the embedded demo site");
  cmd->add_flag("--single-user", options->single_user,
                "not root: run every site, pool and user as the invoking account (NO isolation)");
  cmd->add_flag("--split", options->split,
                "privilege separation (issue 9; the default as root): a root supervisor and a sandboxed front");
  cmd->add_flag("--one-process", options->one_process,
                "as root, without privilege separation: one root process parses requests (not recommended)");
  cmd->add_option("--front-fd", options->front_fd, "internal: run as the front of a --split supervisor")->group("");
  cmd->add_option("--config-fd", options->config_fd, "internal: the front's configuration bytes")->group("");
  cmd->callback([options] {
    int rc = serve(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace gatehouse::cli

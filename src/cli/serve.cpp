// `gatehouse serve [--config FILE]`: loads the configuration (or the embedded demo), starts the HTTP
// server, and stops it gracefully on SIGTERM or SIGINT (exit 0).
#include <pthread.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "common/log.hpp"
#include "http/server.hpp"

namespace gatehouse::cli {
namespace {

// Blocks SIGTERM and SIGINT in this thread (and so in every I/O thread it
// starts afterwards): they are taken only by sigwait in wait_for_stop.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
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

int wait_for_stop(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

int serve(const std::string& config_file) {
  // --config FILE, or the embedded demo; a bad file prints its problems and exits 1.
  auto config = load_config(config_file);
  std::error_code ec;
  std::filesystem::create_directories(config.server.log_dir, ec);
  if (ec) {
    std::cerr << "gatehouse serve: cannot create log_dir " << config.server.log_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  log::init(config.server.log_dir / "error.log", spdlog::level::info);
  auto signals = block_stop_signals();
  raise_file_limit();
  auto server = http::Server::create(config);
  if (!server) {
    log::error("{}", server.error().message());
    return 1;
  }
  for (const auto& url : (*server)->urls()) log::info("listening on {}", url);
  (*server)->start();
  int sig = wait_for_stop(signals);
  log::info("{} received: stopping (in-flight requests get {}s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
            config.server.shutdown_timeout.count());
  (*server)->stop(config.server.shutdown_timeout);
  log::info("stopped");
  return 0;
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "serve the configured sites over HTTP");
  auto config_file = std::make_shared<std::string>();
  cmd->add_option("--config", *config_file, "configuration file (TOML); without it, the embedded demo site");
  cmd->callback([config_file] {
    int rc = serve(*config_file);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace gatehouse::cli

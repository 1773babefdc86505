// `serve --split` (issue 9): the root supervisor and the sandboxed front it
// execs (`serve --front-fd 3`). The logic lives in supervisor/; these two
// functions compose it with the configuration, the accounts and http/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/model.hpp"
#include "http/server.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::cli {

// As root, after serve's checks, provisioning and log set-up: prepares the
// front's account and folders, binds the listeners, and runs the supervisor
// until SIGTERM/SIGINT. Returns the exit code.
int serve_supervised(const config::Config& config, const std::string& config_file, pool::PoolSetOptions pool_options);

// Before a one-process server (root, --one-process) uses a state folder a
// split server used: the body spool goes back to root (ensure_socket_dir refuses gh-front's).
void reclaim_front_folders(const config::Config& config);

// The per-site part of `gatehouse status`: requests by status class.
nlohmann::json sites_report(const http::Server& server);

// The front: loads the same configuration, receives the listeners on `fd`,
// confines itself (sandbox::confine_front) before any thread, then serves.
// `config_fd` >= 0: the configuration's bytes (named config_file) are read there.
int serve_front(const std::string& config_file, int fd, int config_fd);

}  // namespace gatehouse::cli

// What `serve` and `check` share about confining workers: the sandbox
// resolver compiled from the permission plan, its listing, and the log
// folder closed to every account but root and adm.
#pragma once

#include <string>

#include "config/model.hpp"
#include "handlers/php_routing.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::cli {

// (pool, identity) -> its Landlock rules, from the plan made once here.
pool::SandboxResolver sandbox_resolver(const config::Config& config);

// `gatehouse check`'s part: per worker set, its sandbox, limits and the
// folders where scripts do not run; loud warnings for opt-outs.
std::string confinement_report(const config::Config& config);

// Where each pool's scripts never run (the folders its PHP identity may
// write, less those opted out with execute = true), for the PHP handler:
// computed once from the permission plan, read by every I/O thread.
handlers::ScriptPolicy script_policy(const config::Config& config);

// log_dir 0750 and every file in it 0640, owned root:adm when run as root
// (Debian's convention): the error log carries other pools' stderr, user
// names and client addresses. Logs what it cannot do.
void close_log_dir(const config::Path& log_dir);

}  // namespace gatehouse::cli

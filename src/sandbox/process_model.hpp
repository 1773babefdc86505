// The process model of issue 9 (supervisor, front, workers) as data derived
// from a configuration: the front's sandbox spec and the table `check` prints.
#pragma once

#include <string>

#include "config/model.hpp"
#include "sandbox/front.hpp"

namespace gatehouse::sandbox {

inline constexpr const char* kFrontAccount = "gh-front";

// The front's sandbox for `config`, as account uid/gid: read on every
// application's and virtual directory's physical path; write on the log
// folder, the worker socket folder and the request-body spool folder.
FrontSandboxSpec front_sandbox_spec(const config::Config& config, uid_t uid, gid_t gid);

// Which process, which account, which capabilities, what it can reach; the
// parts not yet split are marked "planned". Pure: the same text for the same
// configuration.
std::string process_model_table(const config::Config& config);

}  // namespace gatehouse::sandbox

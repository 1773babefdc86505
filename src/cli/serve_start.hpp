// What `serve` says when it starts: configuration warnings, whether the
// permission plan is applied (with the command that applies it), a banner per
// site, and a bind failure that names the site and binding.
#pragma once

#include <string>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::cli {

// Logs each configuration warning (overlaps shared on purpose, ...).
void log_config_warnings(const config::Config& config);

// Compares the plan's folders with the live file system; warns, with the
// command that fixes it, when `perms apply` has not been run (or was undone).
void warn_if_plan_not_applied(const config::Config& config, const std::string& config_file);

// Per site: each binding with its IP, then per application pool -> account ->
// php-cgi -> php.ini, then the log paths.
std::string banner(const config::Config& config);

// A bind error, with the sites and bindings that asked for that address.
std::string bind_failure(const config::Config& config, const Error& error);

}  // namespace gatehouse::cli

// The built-in demo: `gatehouse serve` without --config serves it on
// http://127.0.0.1:8080/. Its content is written into the state directory on
// first start (never overwriting what a user changed).
#pragma once

#include <filesystem>
#include <string>

#include "config/model.hpp"

namespace gatehouse::cli {

// /var/lib/gatehouse as root, ./var otherwise.
std::filesystem::path default_state_dir();

// The embedded configuration text for `state_dir`.
std::string embedded_config_text(const std::filesystem::path& state_dir);

// Writes the demo content (if missing) and loads the embedded configuration.
// Throws config::ConfigError or std::filesystem::filesystem_error.
config::Config embedded_default();

// As root, once the accounts exist: applies the permission plan to the demo
// folders (perms apply), so the anonymous account reads www, the pool writes
// uploads, tmp, sessions and log, and nothing else. A no-op when already applied.
void apply_demo_permissions(const config::Config& demo);

}  // namespace gatehouse::cli

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

}  // namespace gatehouse::cli

// `gatehouse check --farm`: is this configuration the same on every node of a
// farm, and its fingerprint, so nodes can compare. The rules are in the
// README, "Running a farm".
#pragma once

#include <string>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::cli {

struct FarmReport {
  std::vector<std::string> problems;  // node-dependent settings: `check --farm` fails
  std::vector<std::string> notes;     // what holds, and what the administrator must provide
  std::string fingerprint;            // "sha256:<hex>"; empty when it could not be computed
};

// Applies the farm rules to a loaded configuration; `text` is the file it was
// loaded from (its [node] table is left out of the fingerprint).
FarmReport check_farm(const config::Config& config, const std::string& text);

// sha256 of the canonical configuration without [node] (toml++'s TOML
// rendering: keys sorted, comments and layout gone), then of every pool's
// php.ini (path and bytes) in pool order. Throws config::ConfigError on bad TOML.
std::string farm_fingerprint(const config::Config& config, const std::string& text);

}  // namespace gatehouse::cli

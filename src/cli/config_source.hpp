// Where every subcommand gets its configuration: --config FILE, or the
// embedded demo when none is given. Problems are printed one per line.
#pragma once

#include <string>

#include "config/model.hpp"

namespace gatehouse::cli {

// Loads `file`, or the embedded default when `file` is empty. On a bad
// configuration prints every problem to stderr and throws CLI::RuntimeError(exit_code).
config::Config load_config(const std::string& file, int exit_code = 1);

}  // namespace gatehouse::cli

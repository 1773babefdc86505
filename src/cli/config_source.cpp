// Loads the configuration for a subcommand and reports its problems.
#include "cli/config_source.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/embedded.hpp"
#include "config/load.hpp"

namespace gatehouse::cli {

config::Config load_config(const std::string& file, int exit_code) {
  try {
    return file.empty() ? embedded_default() : config::load_file(file);
  } catch (const config::ConfigError& e) {
    for (const auto& problem : e.problems()) std::cerr << problem.str() << "\n";
    throw CLI::RuntimeError(exit_code);
  }
}

}  // namespace gatehouse::cli

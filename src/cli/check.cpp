// `gatehouse check --config FILE`: loads and validates a configuration,
// prints its summary, or every problem found (exit 1).
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "config/load.hpp"
#include "config/summary.hpp"

namespace gatehouse::cli {
namespace {

void run_check(const std::string& file) {
  if (file.empty()) {
    std::cerr << "check: --config FILE is required\n";
    throw CLI::RuntimeError(1);
  }
  try {
    const config::Config config = config::load_file(file);
    std::cout << config::summary(config) << "configuration OK\n";
  } catch (const config::ConfigError& e) {
    for (const auto& problem : e.problems()) std::cerr << problem.str() << "\n";
    throw CLI::RuntimeError(1);
  }
}

}  // namespace

void add_check(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "validate a configuration and print a summary of it");
  check->add_option("--config", *file, "the configuration file (TOML)");
  check->callback([file] { run_check(*file); });
}

}  // namespace gatehouse::cli

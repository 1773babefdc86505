// `gatehouse check [--config FILE]`: loads and validates a configuration,
// prints its summary, or every problem found (exit 1).
#include <iostream>
#include <memory>

#include "accounts/security_model.hpp"
#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "config/summary.hpp"
#include "sandbox/process_model.hpp"

namespace gatehouse::cli {
namespace {

void run_check(const std::string& file) {
  const config::Config config = load_config(file);
  std::cout << config::summary(config) << "\n"
            << accounts::identity_table(config) << confinement_report(config)
            << sandbox::process_model_table(config) << "configuration OK\n";
}

}  // namespace

void add_check(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "validate a configuration and print a summary of it");
  check->add_option("--config", *file, "the configuration file (TOML); default: the embedded demo");
  check->callback([file] { run_check(*file); });
}

}  // namespace gatehouse::cli

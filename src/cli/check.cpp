// `gatehouse check [--config FILE]`: loads and validates a configuration,
// prints its summary, or every problem found (exit 1). Warnings go first to
// stderr and are repeated, counted, after "configuration OK" so the last
// screen a user sees still shows them.
#include <iostream>
#include <memory>

#include "accounts/security_model.hpp"
#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "cli/preflight.hpp"
#include "config/summary.hpp"
#include "sandbox/process_model.hpp"
#include "tls/certificate.hpp"

namespace gatehouse::cli {
namespace {

void run_check(const std::string& file) {
  config::Config config = load_config(file);
  Preflight found = preflight(config);
  const std::string certificates = tls::certificate_report(config, found.warnings);  // https bindings
  const std::vector<config::Warning>& warnings = found.warnings;
  for (const auto& e : found.errors) std::cerr << e.str() << "\n";
  for (const auto& w : warnings) std::cerr << "warning: " << w.str() << "\n";
  if (!found.errors.empty()) throw CLI::RuntimeError(1);
  std::cout << config::summary(config) << "\n"
            << certificates << accounts::identity_table(config) << confinement_report(config)
            << sandbox::process_model_table(config) << "configuration OK";
  if (warnings.empty()) {
    std::cout << "\n";
    return;
  }
  std::cout << ", with " << warnings.size() << (warnings.size() == 1 ? " warning:\n" : " warnings:\n");
  for (const auto& w : warnings) std::cout << "  warning: " << w.str() << "\n";
}

}  // namespace

void add_check(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "validate a configuration and print a summary of it");
  check->add_option("--config", *file, "the configuration file (TOML); default: the embedded demo");
  check->callback([file] { run_check(*file); });
}

}  // namespace gatehouse::cli

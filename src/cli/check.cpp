// `gatehouse check [--config FILE] [--farm]`: loads and validates a
// configuration, prints its summary, or every problem found (exit 1).
// Warnings go first to stderr and are repeated, counted, after
// "configuration OK" so the last screen a user sees still shows them.
// --farm adds the farm rules and the fingerprint (farm_check.hpp).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "accounts/provision_ids.hpp"
#include "accounts/security_model.hpp"
#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "cli/confinement.hpp"
#include "cli/farm_check.hpp"
#include "cli/preflight.hpp"
#include "config/summary.hpp"
#include "sandbox/process_model.hpp"
#include "tls/certificate.hpp"

namespace gatehouse::cli {
namespace {

// Pinned account ids against this machine; a clash fails the check.
bool print_pinned(const config::Config& config) {
  const auto report = accounts::pinned_report(config, sandbox::kFrontAccount);
  if (report.lines.empty()) return true;
  std::cout << "pinned account ids:\n";
  for (const auto& line : report.lines) std::cout << "  " << line << "\n";
  return report.clashes == 0;
}

// The farm rules and the fingerprint; false when a rule fails.
bool print_farm(const config::Config& config, const std::string& file) {
  if (file.empty()) {
    std::cerr << "check --farm: give the farm's configuration with --config FILE\n";
    return false;
  }
  std::ifstream in{file, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  const FarmReport farm = check_farm(config, text.str());
  std::cout << "farm: " << (farm.problems.empty() ? "node-independent" : "NOT node-independent") << "\n";
  for (const auto& p : farm.problems) std::cout << "  problem: " << p << "\n";
  for (const auto& n : farm.notes) std::cout << "  note: " << n << "\n";
  std::cout << "fingerprint " << farm.fingerprint << "\n";
  return farm.problems.empty();
}

void run_check(const std::string& file, bool farm) {
  config::Config config = load_config(file);
  Preflight found = preflight(config);
  const std::string certificates = tls::certificate_report(config, found.warnings);  // https bindings
  const std::vector<config::Warning>& warnings = found.warnings;
  for (const auto& e : found.errors) std::cerr << e.str() << "\n";
  for (const auto& w : warnings) std::cerr << "warning: " << w.str() << "\n";
  if (!found.errors.empty()) throw CLI::RuntimeError(1);
  std::cout << config::summary(config) << "\n"
            << certificates << accounts::identity_table(config) << confinement_report(config)
            << sandbox::process_model_table(config);
  const bool pinned_ok = print_pinned(config);
  const bool farm_ok = !farm || print_farm(config, file);
  if (!pinned_ok || !farm_ok) {
    std::cout << "configuration NOT OK" << (pinned_ok ? "" : ": a pinned uid or gid clashes with this machine")
              << (farm_ok ? "" : (pinned_ok ? ": " : "; ") + std::string{"it is not the same on every node"}) << "\n";
    throw CLI::RuntimeError(1);
  }
  std::cout << "configuration OK";
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
  auto farm = std::make_shared<bool>(false);
  check->add_option("--config", *file, "the configuration file (TOML); default: the embedded demo");
  check->add_flag("--farm", *farm,
                  "also check that the configuration is the same on every node of a farm, and print its fingerprint");
  check->callback([file, farm] { run_check(*file, *farm); });
}

}  // namespace gatehouse::cli

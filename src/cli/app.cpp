// Builds the CLI11 command tree and dispatches to the subcommands. Exceptions
// from configuration loading end here as exit code 1 (or 2 for the tools
// whose exit code 1 means "findings").
#include "cli/app.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "common/log.hpp"

namespace gatehouse::cli {

int run(int argc, char** argv) {
  log::init({}, spdlog::level::info);  // one line format on stderr for every subcommand; serve adds its file
  CLI::App app{"Gatehouse: a PHP application server with IIS's hosting and security model"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print the version")->callback([] { std::cout << "gatehouse 0.1.0\n"; });
  add_serve(app);
  add_check(app);
  add_perms(app);
  add_accounts(app);
  add_import(app);
  add_control(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {  // also CLI::RuntimeError(code): a subcommand's exit code
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli

// Builds the CLI11 command tree and dispatches to the subcommands.
#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gatehouse::cli {

int run(int argc, char** argv) {
  CLI::App app{"Gatehouse: a PHP application server with IIS's hosting and security model"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print the version")->callback([] { std::cout << "gatehouse 0.1.0\n"; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace gatehouse::cli

// One function per subcommand file: each adds its subcommand to the CLI tree.
#pragma once

#include <CLI/CLI.hpp>

namespace gatehouse::cli {

void add_serve(CLI::App& app);     // serve.cpp
void add_check(CLI::App& app);     // check.cpp
void add_perms(CLI::App& app);     // perms.cpp
void add_accounts(CLI::App& app);  // accounts.cpp
void add_import(CLI::App& app);    // import.cpp
void add_control(CLI::App& app);   // control.cpp: status, recycle, reload, stop, reopen-logs, drain

}  // namespace gatehouse::cli

// Runs the shadow-utils tools (useradd, userdel, groupdel) as child processes:
// posix_spawn with an argument vector, never through a shell.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"

namespace gatehouse::accounts {

struct CommandResult {
  int exit_code = 0;   // the tool's exit status; 128+N when killed by signal N
  std::string output;  // stdout and stderr together, for error messages
};

// Runs argv[0] (an absolute path) with a fixed minimal environment and stdin
// on /dev/null; waits for it. Fails only when it cannot be started or waited.
Result<CommandResult> run_command(const std::vector<std::string>& argv);

// "useradd failed (exit 9): useradd: user 'x' already exists".
Error command_error(const std::vector<std::string>& argv, const CommandResult& result);

}  // namespace gatehouse::accounts

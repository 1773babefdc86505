// `gatehouse perms`: not written yet.
#include "cli/commands.hpp"

namespace gatehouse::cli {

void add_perms(CLI::App& app) { (void)app; }

}  // namespace gatehouse::cli

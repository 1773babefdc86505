// `gatehouse check`: not written yet.
#include "cli/commands.hpp"

namespace gatehouse::cli {

void add_check(CLI::App& app) { (void)app; }

}  // namespace gatehouse::cli

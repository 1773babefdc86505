// `gatehouse accounts`: not written yet.
#include "cli/commands.hpp"

namespace gatehouse::cli {

void add_accounts(CLI::App& app) { (void)app; }

}  // namespace gatehouse::cli

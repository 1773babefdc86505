// `gatehouse serve`: not written yet.
#include "cli/commands.hpp"

namespace gatehouse::cli {

void add_serve(CLI::App& app) { (void)app; }

}  // namespace gatehouse::cli

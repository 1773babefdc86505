// The command line: `gatehouse serve | check | perms ...`.
#pragma once

namespace gatehouse::cli {

int run(int argc, char** argv);

}  // namespace gatehouse::cli

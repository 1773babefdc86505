// Entry point: hands the command line to the CLI and maps errors to exit codes.
#include "cli/app.hpp"

int main(int argc, char** argv) { return gatehouse::cli::run(argc, argv); }

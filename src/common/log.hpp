// The logging facade: one spdlog logger for the error log, set up once by the
// CLI. Callers put their context in front: log::warn("[pool {}] ...", name).
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>

namespace gatehouse::log {

// Logs to stderr, and also to `file` when it is not empty.
void init(const std::filesystem::path& file, spdlog::level::level_enum level);

// Closes and reopens the log file by its name (after logrotate moved it: the
// next line goes to a new file). Safe from any thread; false when it failed.
bool reopen();
// The same with a descriptor opened elsewhere (the supervisor opens root's
// error.log for the confined front); takes ownership of `fd`.
void adopt(int fd);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace gatehouse::log

// Sets up the error log sinks.
#include "common/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/log_escape.hpp"

namespace gatehouse::log {

void init(const std::filesystem::path& file, spdlog::level::level_enum level) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!file.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string()));
  }
  auto logger = std::make_shared<spdlog::logger>("gatehouse", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  logger->set_formatter(line_formatter());  // one line per entry, whatever the message holds
  spdlog::set_default_logger(logger);
}

}  // namespace gatehouse::log

// Sets up the error log sinks.
#include "common/log.hpp"

#include <spdlog/details/file_helper.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

#include "common/log_escape.hpp"

namespace gatehouse::log {
namespace {

// A file sink that can reopen its file under the sink's own mutex, so a line
// being written never meets a closed file.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::filesystem::path& file) { file_.open(file.string(), false); }
  bool reopen() {
    std::lock_guard lock(mutex_);
    try {
      file_.reopen(false);  // opens by name again, in append mode: creates the file when it was moved away
      return true;
    } catch (const spdlog::spdlog_ex&) {
      return false;
    }
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

std::mutex g_file_mutex;  // guards g_file (init and reopen may race at start-up)
std::shared_ptr<ReopenableFileSink> g_file;

}  // namespace

bool reopen() {
  std::shared_ptr<ReopenableFileSink> sink;
  {
    std::lock_guard lock(g_file_mutex);
    sink = g_file;
  }
  return !sink || sink->reopen();
}

void init(const std::filesystem::path& file, spdlog::level::level_enum level) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!file.empty()) {
    auto sink = std::make_shared<ReopenableFileSink>(file);
    sinks.push_back(sink);
    std::lock_guard lock(g_file_mutex);
    g_file = sink;
  }
  auto logger = std::make_shared<spdlog::logger>("gatehouse", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  logger->set_formatter(line_formatter());  // one line per entry, whatever the message holds
  spdlog::set_default_logger(logger);
}

}  // namespace gatehouse::log

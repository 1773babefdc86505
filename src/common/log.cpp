// Sets up the error log sinks.
#include "common/log.hpp"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <system_error>

#include "common/log_escape.hpp"

namespace gatehouse::log {
namespace {

int open_log(const std::filesystem::path& file) {
  return ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

// A file sink on a plain descriptor (one O_APPEND write per line, so lines
// of several processes never interleave), replaced under the sink's own
// mutex: by name (reopen), or by a descriptor another process opened (adopt:
// the confined front cannot open root's error.log after logrotate made it).
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::filesystem::path& file) : path_(file) {
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    fd_ = open_log(file);
    if (fd_ < 0) throw spdlog::spdlog_ex("cannot open the error log " + file.string(), errno);
  }
  ~ReopenableFileSink() override { ::close(fd_); }
  bool reopen() {
    int fd = open_log(path_);  // creates the file when it was moved away
    if (fd < 0) return false;
    adopt(fd);
    return true;
  }
  void adopt(int fd) {
    std::lock_guard lock(mutex_);
    ::close(fd_);
    fd_ = fd;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    for (std::size_t at = 0; at < formatted.size();) {
      ssize_t n = ::write(fd_, formatted.data() + at, formatted.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk loses the line, not the server
      at += static_cast<std::size_t>(n);
    }
  }
  void flush_() override {}

 private:
  std::filesystem::path path_;
  int fd_ = -1;
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

void adopt(int fd) {
  std::shared_ptr<ReopenableFileSink> sink;
  {
    std::lock_guard lock(g_file_mutex);
    sink = g_file;
  }
  if (sink)
    sink->adopt(fd);
  else
    ::close(fd);
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

// The access-log writer thread.
#include "http/log_writer.hpp"

#include "common/log.hpp"
#include "http/access_log.hpp"

namespace gatehouse::http {

void LogWriter::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  ending_ = false;
  thread_ = std::thread([this] { run(); });
}

void LogWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    ending_ = true;
  }
  work_.notify_one();
  thread_.join();
  std::lock_guard lock(mutex_);
  running_ = false;
}

void LogWriter::submit(const std::shared_ptr<AccessLog>& log, std::string lines, std::time_t now) {
  if (lines.empty()) return;
  {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return queued_bytes_ < kMaxQueued || !running_ || ending_; });
    if (running_ && !ending_) {
      queued_bytes_ += lines.size();
      queue_.push_back({log, std::move(lines), now});
      lock.unlock();
      work_.notify_one();
      return;
    }
  }
  if (auto ok = log->write(lines, now); !ok) log::error("{}", ok.error().message());  // no thread: at once
}

void LogWriter::drain() {
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

void LogWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return !queue_.empty() || ending_; });
    if (queue_.empty()) return;  // ending, and everything is written
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    if (auto ok = batch.log->write(batch.lines, batch.now); !ok) log::error("{}", ok.error().message());
    const std::size_t done = batch.lines.size();
    batch = {};  // the log may go with its last batch: outside the lock
    lock.lock();
    writing_ = false;
    queued_bytes_ -= done;
    room_.notify_all();
  }
}

}  // namespace gatehouse::http

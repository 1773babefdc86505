// Access-log batches go to disk on a thread of their own, so a slow write
// (a journal commit, a full or remote disk) never stalls an I/O thread and
// every connection it serves. Batches keep their order; a backlog past
// kMaxQueued makes the I/O threads wait rather than lose lines. Until start()
// and after stop(), a batch is written at once by its caller: the thread is
// started only once the process is confined (a thread started before would
// not be under the front's seccomp filter and Landlock domain).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace gatehouse::http {

class AccessLog;

class LogWriter {
 public:
  static constexpr std::size_t kMaxQueued = 32 << 20;  // bytes waiting for the disk

  LogWriter() = default;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter() { stop(); }

  void start();
  // Writes what is queued, then ends the thread.
  void stop();
  // Queues `lines` (complete lines) for `log`; waits only while the backlog is full.
  void submit(const std::shared_ptr<AccessLog>& log, std::string lines, std::time_t now);
  // Returns once everything submitted before the call is on disk.
  void drain();

 private:
  struct Batch {
    std::shared_ptr<AccessLog> log;
    std::string lines;
    std::time_t now;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable work_;  // the thread waits for batches
  std::condition_variable room_;  // submitters wait for room; drain() for an empty queue
  std::deque<Batch> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;  // the thread holds a batch outside the lock
  bool running_ = false;
  bool ending_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::http

// One long-lived second thread that runs one task at a time while the caller
// does its own share: apply splits a folder's files (and a batch's changes)
// in two without paying for a thread per folder.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace gatehouse::perms {

class HelperThread {
 public:
  HelperThread() : thread_([this](std::stop_token stop) { loop(stop); }) {}
  ~HelperThread() {
    {
      std::lock_guard lock(mutex_);
      thread_.request_stop();
    }
    wake_.notify_all();
  }
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;

  // Starts `task` on the helper; call wait() before posting another.
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      task_ = std::move(task);
      done_ = false;
    }
    wake_.notify_all();
  }

  void wait() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return done_; });
  }

 private:
  void loop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stop.stop_requested() || task_ != nullptr; });
      if (task_ == nullptr) return;  // stop requested and nothing left to run
      auto task = std::exchange(task_, nullptr);
      lock.unlock();
      task();
      lock.lock();
      done_ = true;
      wake_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> task_;
  bool done_ = true;
  std::jthread thread_;  // last: starts once the members above exist, joins first
};

}  // namespace gatehouse::perms

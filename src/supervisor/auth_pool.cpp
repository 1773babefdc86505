// AuthPool: PAM on a few threads, outcomes handed back through an eventfd.
#include "supervisor/auth_pool.hpp"

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace gatehouse::supervisor {

AuthPool::AuthPool(unsigned threads) : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

AuthPool::~AuthPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& job : queue_) ::explicit_bzero(job.password.data(), job.password.size());
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

bool AuthPool::submit(AuthJob job) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      ::explicit_bzero(job.password.data(), job.password.size());
      return false;
    }
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::vector<AuthDone> AuthPool::take() {
  std::uint64_t n = 0;
  (void)!::read(event_.get(), &n, sizeof n);  // reset the counter (EAGAIN when already read)
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

void AuthPool::run() {
  for (;;) {
    AuthJob job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    AuthDone done{job.front, job.id, accounts::authenticate(job.user, job.password, job.remote)};
    ::explicit_bzero(job.password.data(), job.password.size());
    {
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(done));
    }
    const std::uint64_t one = 1;
    (void)!::write(event_.get(), &one, sizeof one);
  }
}

}  // namespace gatehouse::supervisor

// PAM checks for the front, off the supervisor's loop: a pam_unix check is a
// password hash (tens of ms), and the loop must keep answering SPAWN, CONNECT
// and CHILD meanwhile. A few threads take checks from a bounded queue; the
// loop collects the outcomes when `fd()` is readable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accounts/pam_auth.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace gatehouse::supervisor {

struct AuthJob {
  std::uint64_t front = 0;  // which front asked (a restarted front never gets an older one's answer)
  std::uint64_t id = 0;     // the request id to answer
  std::string user, password, remote;
};

struct AuthDone {
  std::uint64_t front = 0, id = 0;
  Result<accounts::AuthOutcome> outcome;
};

class AuthPool {
 public:
  static constexpr std::size_t kMaxQueued = 64;

  explicit AuthPool(unsigned threads = 2);
  AuthPool(const AuthPool&) = delete;
  AuthPool& operator=(const AuthPool&) = delete;
  ~AuthPool();  // drops what is queued, waits for the checks under way

  // False when kMaxQueued checks already wait (the caller answers "busy").
  bool submit(AuthJob job);
  // Readable while finished checks wait to be taken.
  int fd() const { return event_.get(); }
  std::vector<AuthDone> take();

 private:
  void run();

  UniqueFd event_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<AuthJob> queue_;
  std::vector<AuthDone> done_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gatehouse::supervisor

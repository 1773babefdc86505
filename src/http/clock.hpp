// A per-thread cache of the current second in the two textual forms every
// response and log line needs (Date header, W3C date time), formatted once
// per second instead of once per request.
#pragma once

#include <ctime>
#include <string_view>

#include "handlers/etag.hpp"

namespace gatehouse::http {

class Clock {
 public:
  // Re-formats only when the second changed; cheap (clock_gettime is a vDSO call).
  void update() {
    std::time_t now = std::time(nullptr);
    if (now != now_) refresh(now);
  }
  std::time_t now() const { return now_; }
  std::string_view http_date() const { return {http_, handlers::kHttpDateSize}; }
  std::string_view w3c_date_time() const { return {w3c_, 19}; }  // "2026-11-28 07:13:11"

 private:
  void refresh(std::time_t now);
  std::time_t now_ = -1;
  char http_[handlers::kHttpDateSize + 1] = {};
  char w3c_[64] = {};
};

}  // namespace gatehouse::http

// Formatting for the per-second clock cache.
#include "http/clock.hpp"

#include <cstdio>

namespace gatehouse::http {

void Clock::refresh(std::time_t now) {
  now_ = now;
  handlers::format_http_date(now, http_);
  struct tm tm {};
  gmtime_r(&now, &tm);
  std::snprintf(w3c_, sizeof w3c_, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace gatehouse::http

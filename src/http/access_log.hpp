// W3C extended access logs as IIS writes them (u_exYYMMDD.log, UTC), one
// folder per site. Lines are formatted into per-thread buffers and written
// in batches; each batch is one write(2) on an O_APPEND file, so lines from
// different threads never interleave.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::http {

class AccessLog {
 public:
  explicit AccessLog(config::Path dir) : dir_(std::move(dir)) {}
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  ~AccessLog();

  // Appends complete lines to the file of `now`'s day (UTC), opening a new
  // file with the W3C header lines when the day changes.
  Status write(std::string_view lines, std::time_t now);
  const config::Path& dir() const { return dir_; }
  // Closes the file: the next write opens it again by name (logrotate, SIGUSR1).
  void reopen();

  // Requests by status class (index 1..5 for 1xx..5xx, 0 for anything else),
  // for `gatehouse status`; counted by any I/O thread, read by any.
  void count(unsigned status) {
    by_class_[status >= 100 && status < 600 ? status / 100 : 0].fetch_add(1, std::memory_order_relaxed);
  }
  std::array<std::uint64_t, 6> counts() const {
    std::array<std::uint64_t, 6> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = by_class_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  Status open_for_day(std::time_t now, int day);
  config::Path dir_;
  std::mutex mutex_;
  int fd_ = -1;
  int day_ = -1;
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};
};

// The fields of one line, in IIS's default order; empty views log as "-".
struct AccessRecord {
  std::string_view date_time;  // "2026-11-28 07:13:11"
  std::string_view server_ip;
  std::string_view method;
  std::string_view uri_stem;
  std::string_view uri_query;
  std::uint16_t server_port = 0;
  std::string_view username;
  std::string_view client_ip;
  std::string_view user_agent;
  std::string_view referer;
  unsigned status = 0;
  unsigned substatus = 0;
  int win32_status = 0;  // the errno of a failure; logged as its Windows code (win32_status.hpp)
  std::uint64_t time_taken_ms = 0;
  std::string_view protocol;     // cs-version: "HTTP/1.1", "HTTP/2"
  std::string_view tls_version;  // x-tls-version: "TLSv1.3"; "-" for plain http
  // For the metrics only (not written to the log).
  std::uint64_t bytes_received = 0, bytes_sent = 0;  // bodies in, everything out
  std::chrono::nanoseconds took{};
};

// Appends one line. Spaces become '+', as IIS does, and control characters
// are percent-escaped, so a value can never forge a field or a line.
void append_record(std::string& out, const AccessRecord& record);

// The header block at the top of each file.
std::string w3c_header(std::time_t now);

}  // namespace gatehouse::http

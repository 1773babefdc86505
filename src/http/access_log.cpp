// Access log files: day rotation, header lines, and safe field formatting.
#include "http/access_log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "http/win32_status.hpp"

namespace gatehouse::http {
namespace {

constexpr char kFields[] =
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken cs-version "
    "x-tls-version\n";

void append_field(std::string& out, std::string_view v) {
  if (v.empty()) {
    out += "-\x20";
    return;
  }
  // Runs of plain bytes (nearly every value) are copied whole.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t plain = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c > 0x20 && c != 0x7f) continue;
    out.append(v.data() + plain, i - plain);
    plain = i + 1;
    if (c == ' ') {
      out.push_back('+');
    } else {
      const char esc[] = {'%', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, sizeof esc);
    }
  }
  out.append(v.data() + plain, v.size() - plain);
  out.push_back(' ');
}

void append_number(std::string& out, std::uint64_t n, char sep) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
  out.push_back(sep);
}

int day_of(std::time_t now, struct tm& tm) {
  gmtime_r(&now, &tm);
  return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

Status write_all(int fd, std::string_view data, const config::Path& file) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(Error::sys("write", file.string()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

AccessLog::~AccessLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string w3c_header(std::time_t now) {
  struct tm tm {};
  gmtime_r(&now, &tm);
  return fmt::format("#Software: Gatehouse 0.1.0\n#Version: 1.0\n#Date: {:04}-{:02}-{:02} {:02}:{:02}:{:02}\n{}",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, kFields);
}

Status AccessLog::open_for_day(std::time_t now, int day) {
  if (fd_ >= 0) ::close(fd_), fd_ = -1;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return std::unexpected(Error::sys("mkdir", dir_.string(), ec.value()));
  auto file = dir_ / fmt::format("u_ex{:06}.log", day % 1000000);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return std::unexpected(Error::sys("open", file.string()));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size == 0) {
    if (auto ok = write_all(fd, w3c_header(now), file); !ok) {
      ::close(fd);
      return ok;
    }
  }
  fd_ = fd;
  day_ = day;
  return {};
}

Status AccessLog::write(std::string_view lines, std::time_t now) {
  std::lock_guard lock(mutex_);
  struct tm tm {};
  int day = day_of(now, tm);
  if (fd_ < 0 || day != day_) {
    if (auto ok = open_for_day(now, day); !ok) return ok;
  }
  return write_all(fd_, lines, dir_);
}

void AccessLog::reopen() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_), fd_ = -1;
}

void append_record(std::string& out, const AccessRecord& r) {
  out.append(r.date_time);
  out.push_back(' ');
  append_field(out, r.server_ip);
  append_field(out, r.method);
  append_field(out, r.uri_stem);
  append_field(out, r.uri_query);
  append_number(out, r.server_port, ' ');
  append_field(out, r.username);
  append_field(out, r.client_ip);
  append_field(out, r.user_agent);
  append_field(out, r.referer);
  append_number(out, r.status, ' ');
  append_number(out, r.substatus, ' ');
  append_number(out, static_cast<std::uint64_t>(win32_from_errno(r.win32_status)), ' ');
  append_number(out, r.time_taken_ms, ' ');
  append_field(out, r.protocol);
  append_field(out, r.tls_version);
  out.back() = '\n';
}

}  // namespace gatehouse::http

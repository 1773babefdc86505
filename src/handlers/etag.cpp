// ETag, HTTP dates and precondition evaluation for static files.
#include "handlers/etag.hpp"

#include <array>
#include <cstdio>
#include <cstring>

namespace gatehouse::handlers {
namespace {

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int two_digits(std::string_view s, std::size_t at) {
  if (at + 2 > s.size()) return -1;
  char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

ETag make_etag(const struct stat& st) {
  ETag tag;
  auto ns = static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
            static_cast<unsigned long long>(st.st_mtim.tv_nsec);
  int n = std::snprintf(tag.text, sizeof tag.text, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(st.st_ino),
                        static_cast<unsigned long long>(st.st_size), ns);
  tag.size = n > 0 ? static_cast<std::size_t>(n) : 0;
  return tag;
}

void format_http_date(std::time_t t, char (&out)[kHttpDateSize + 1]) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::memcpy(out, buf, kHttpDateSize);
  out[kHttpDateSize] = '\0';
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
  s = trim(s);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() != kHttpDateSize || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  struct tm tm {};
  tm.tm_mday = two_digits(s, 5);
  tm.tm_mon = -1;
  for (int m = 0; m < 12; ++m)
    if (s.substr(8, 3) == kMonths[m]) tm.tm_mon = m;
  int hi = two_digits(s, 12), lo = two_digits(s, 14);
  tm.tm_hour = two_digits(s, 17);
  tm.tm_min = two_digits(s, 20);
  tm.tm_sec = two_digits(s, 23);
  if (tm.tm_mday < 1 || tm.tm_mon < 0 || hi < 0 || lo < 0 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
    return std::nullopt;
  tm.tm_year = hi * 100 + lo - 1900;
  return timegm(&tm);
}

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
  list = trim(list);
  if (list == "*") return true;
  auto strip_weak = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    if (weak ? strip_weak(item) == strip_weak(etag) : (!item.starts_with("W/") && item == etag)) return true;
  }
  return false;
}

Precondition evaluate(const Conditions& c, std::string_view etag, std::time_t mtime) {
  if (!c.if_match.empty()) {
    if (!etag_list_matches(c.if_match, etag, false)) return Precondition::Failed;
  } else if (!c.if_unmodified_since.empty()) {
    auto t = parse_http_date(c.if_unmodified_since);
    if (t && mtime > *t) return Precondition::Failed;
  }
  if (!c.if_none_match.empty()) {
    if (etag_list_matches(c.if_none_match, etag, true)) return Precondition::NotModified;
  } else if (!c.if_modified_since.empty()) {
    auto t = parse_http_date(c.if_modified_since);
    if (t && mtime <= *t) return Precondition::NotModified;
  }
  return Precondition::Proceed;
}

bool if_range_allows(std::string_view if_range, std::string_view etag, std::time_t mtime) {
  if_range = trim(if_range);
  if (if_range.empty()) return true;
  if (if_range.front() == '"') return if_range == etag;  // strong comparison only
  auto t = parse_http_date(if_range);
  return t && *t == mtime;
}

}  // namespace gatehouse::handlers

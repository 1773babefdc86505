// Validators of a static file (strong ETag, Last-Modified) and the evaluation
// of conditional request headers against them (RFC 9110 section 13).
#pragma once

#include <sys/stat.h>

#include <ctime>
#include <optional>
#include <string_view>

namespace gatehouse::handlers {

// "\"<inode>-<size>-<mtime ns>\"" in hex: changes whenever the file is
// replaced (inode) or rewritten (size, mtime).
struct ETag {
  char text[80];
  std::size_t size = 0;
  std::string_view view() const { return {text, size}; }
};
ETag make_etag(const struct stat& st);

// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 characters.
constexpr std::size_t kHttpDateSize = 29;
void format_http_date(std::time_t t, char (&out)[kHttpDateSize + 1]);
// nullopt when `text` is not an IMF-fixdate (such a header is then ignored).
std::optional<std::time_t> parse_http_date(std::string_view text);

// The conditional headers of a request; empty views when absent.
struct Conditions {
  std::string_view if_match;
  std::string_view if_none_match;
  std::string_view if_modified_since;
  std::string_view if_unmodified_since;
  std::string_view if_range;
};

enum class Precondition { Proceed, NotModified, Failed };

// For GET/HEAD. If-None-Match wins over If-Modified-Since, If-Match over
// If-Unmodified-Since, as the RFC orders them.
Precondition evaluate(const Conditions& c, std::string_view etag, std::time_t mtime);

// True when a Range may be honoured: no If-Range, or one that matches the
// strong ETag or equals Last-Modified.
bool if_range_allows(std::string_view if_range, std::string_view etag, std::time_t mtime);

// True when `etag` is in the comma-separated `list` ("*" matches anything).
// `weak` compares ignoring a W/ prefix (If-None-Match); otherwise strong.
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak);

}  // namespace gatehouse::handlers

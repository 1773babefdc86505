// The pure parts of the PHP handler: where the script ends in a URL path, and
// how PHP's CGI head becomes an HTTP/1.1 response head (status, framing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/cgi_head.hpp"

namespace gatehouse::handlers {

// End offsets in `url_path` of every segment that ends in one of
// `extensions` (case-insensitive, as IIS maps handlers), in path order. The
// script is the first of them that is an existing regular file; what follows
// it is PATH_INFO. "/a/b.php/x/y" gives {8}; "/uploads/x.jpg/y.php" gives {20}.
std::vector<std::size_t> script_candidates(std::string_view url_path, const std::vector<std::string>& extensions);

// How a response body is delimited on the wire.
enum class Framing {
  None,     // no body: HEAD, 1xx, 204, 304
  Length,   // Content-Length
  Chunked,  // HTTP/1.1, length unknown when the head leaves
  Close,    // HTTP/1.0, length unknown: the end of the connection ends the body
};

// The reason phrase for `status` (RFC 9110 names); "" when unknown.
std::string_view status_reason(unsigned status);

// False for 1xx, 204 and 304, which never have a body.
bool body_allowed(unsigned status);

// The Content-Length PHP set itself, if any (and if it is a number).
std::optional<std::uint64_t> php_content_length(const fastcgi::CgiHead& head);

// `complete`: the whole body is known (buffered up to END_REQUEST), so its
// length is exact. Otherwise PHP's own Content-Length, else chunked or close.
Framing choose_framing(unsigned status, bool head_request, unsigned version, bool complete,
                       std::optional<std::uint64_t> php_length);

struct HeadOptions {
  std::string_view date;  // IMF-fixdate
  Framing framing = Framing::None;
  std::uint64_t length = 0;  // with Framing::Length; for HEAD, PHP's length if it gave one
  bool keep_alive = true;
  unsigned version = 11;
};

// Appends the response head. PHP's hop-by-hop headers (Connection,
// Keep-Alive, Transfer-Encoding, Upgrade, Trailer) and Content-Length are
// replaced by the server's own; every Set-Cookie is kept apart.
void append_php_head(std::string& out, const fastcgi::CgiHead& head, const HeadOptions& options);

// One chunk of chunked encoding; empty data appends nothing.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// For text that goes into an HTML page (PHP's stderr in a 500 page).
std::string html_escape(std::string_view text);

}  // namespace gatehouse::handlers

// Canonicalisation of the path of a request target: the request-filtering
// step that stands between a URL and the file system. Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace gatehouse::http {

// Why a URL was refused: the HTTP status and IIS's substatus for the log.
struct Rejection {
  unsigned status = 400;
  unsigned substatus = 0;
  std::string_view reason;  // for the error page and the error log
};

// `raw` is the path part of the request target (no query), as received.
// Percent-decodes once and refuses: invalid escapes, NUL and other control
// characters, backslashes (400); a decoded '%' that starts another escape
// (double encoding, 404.11); invalid UTF-8 (400); ".." climbing above "/"
// (400); a hidden segment starting with "." other than ".well-known"
// (404.8: .htaccess, .git, .env). Collapses "//" and "." segments and
// resolves ".."; keeps a trailing slash.
std::expected<std::string, Rejection> canonicalize_path(std::string_view raw);

bool is_valid_utf8(std::string_view s);

}  // namespace gatehouse::http

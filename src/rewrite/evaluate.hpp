// The pure core of URL rewriting: a request's URL and variables through
// compiled rules to one outcome, with IIS URL Rewrite's semantics. The caller
// supplies the file-system probe (as the request identity) and headers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/error.hpp"
#include "rewrite/rules.hpp"

namespace gatehouse::rewrite {

enum class FileKind { None, File, Directory };

struct RewriteInput {
  std::string_view path;         // canonical and decoded, without the leading '/' ("wiki/Main_Page")
  std::string_view query;        // as received, without '?'
  std::string_view request_uri;  // {REQUEST_URI}: the original target as received, path and ?query
  std::string_view method = "GET";
  bool https = false;
  std::uint16_t server_port = 80;
  std::string_view remote_addr;
  // {HTTP_X_Y}: the value of request header "x-y" (lower case), nullopt when absent.
  std::function<std::optional<std::string_view>(std::string_view lower_name)> header;
  // IsFile / IsDirectory on a decoded site path ("/wiki/Main_Page"), probed
  // as the request identity; an unreadable or absent path is None.
  std::function<FileKind(std::string_view url_path)> probe;
  // {REQUEST_FILENAME}: the physical path the caller maps a site path to.
  std::function<std::string(std::string_view url_path)> physical_path;
};

// No rule changed anything: serve the request as it came.
struct Continue {};

// Serve this instead. `path` is percent-encoded, starts with '/' and goes
// through canonicalisation, request filtering and script detection again, as
// a request target would; `query` is the new QUERY_STRING.
struct Rewritten {
  std::string path;
  std::string query;
  std::string rule;  // the last rule that rewrote, for the log
};

struct Redirect {
  unsigned status = 301;  // 301 302 303 307 308
  std::string location;   // no control characters, spaces or non-ASCII bytes (percent-encoded)
  std::string rule;
};

struct CustomResponse {
  unsigned status = 0;
  unsigned substatus = 0;
  std::string reason;       // status line text; empty: the standard one
  std::string description;  // body text, not yet HTML-escaped
  std::string rule;
};

// Close the connection without a response (IIS AbortRequest).
struct Abort {
  std::string rule;
};

using Outcome = std::variant<Continue, Rewritten, Redirect, CustomResponse, Abort>;

// An error (a pattern hit its match limit, a Rewrite produced "..", a
// backslash, NUL or an absolute URL) means: answer 500 and log the message.
using RewriteOutcome = Result<Outcome>;

// Runs `rules` in order on `input`. Each matching rule's action applies; a
// Rewrite changes the URL the next rules see, unless it stops processing;
// Redirect, CustomResponse and Abort end the evaluation.
RewriteOutcome evaluate(const CompiledRules& rules, const RewriteInput& input);

}  // namespace gatehouse::rewrite

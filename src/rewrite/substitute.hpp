// Expanding substitution strings ({R:n}, {C:n}, server variables, functions)
// and turning an expanded Rewrite or Redirect target into a safe URL. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/rewrite_model.hpp"
#include "rewrite/evaluate.hpp"

namespace gatehouse::rewrite {

// What a template can refer to while a rule is evaluated.
struct Scope {
  const RewriteInput& input;
  std::string_view path;   // the current URL path, no leading '/'
  std::string_view query;  // the current query string
  const std::vector<std::string>& rule_captures;
  const std::vector<std::string>& condition_captures;
};

// Outputs longer than this are an error: a template repeating a long capture
// must not build megabytes per request.
inline constexpr std::size_t kMaxExpansion = 65536;

Result<std::string> expand(const config::Template& tmpl, const Scope& scope);

// IIS's string functions: every byte but A-Z a-z 0-9 - _ . ~ as %XX; %XX and
// '+' (a space) back.
std::string url_encode(std::string_view text);
std::string url_decode(std::string_view text);

// A Rewrite target: the expanded url split at its first '?', resolved against
// the rule's base when relative, with "//" and "." segments removed. Refuses
// an absolute URL ("scheme:" or "//host"), a ".." segment, a backslash, NUL
// or any control character: a Rewrite stays inside the site.
struct Target {
  std::string path;   // decoded, no leading '/'
  std::string query;  // as expanded, before encoding
  bool has_query = false;
};
Result<Target> rewrite_target(std::string_view expanded, std::string_view base);

// The query after a Rewrite or Redirect: the url's own, then (when
// append_query_string) the current one, joined by '&'.
std::string joined_query(const Target& target, std::string_view current, bool append);

// For Rewritten::path: '/' + path with every byte outside the RFC 3986
// path characters (and '%') percent-encoded, so canonicalisation decodes it
// back to exactly `path`.
std::string encode_path(std::string_view path);
// For a query string or Location: controls, space, '#' (query only), DEL
// and non-ASCII bytes percent-encoded.
std::string encode_query(std::string_view query);
std::string encode_location(std::string_view location);

// A Redirect's Location: absolute URLs as written; relative paths resolved
// against the rule's base; a url written as a site path ("/{R:1}") keeps one
// leading '/'; the query joined as for a Rewrite, before any fragment.
std::string redirect_location(std::string_view expanded, std::string_view written, std::string_view base,
                              std::string_view current_query, bool append);

}  // namespace gatehouse::rewrite

// IIS requestFiltering and handler accessPolicy for one request, as a pure
// function of the site's configuration and the canonical URL path (after
// http/path.hpp's canonicalisation, which already hides dot segments and
// refuses double escapes). No I/O: the request path calls it once per request.
#pragma once

#include <string>
#include <string_view>

#include "config/model.hpp"

namespace gatehouse::http {

struct FilterDecision {
  bool allowed = true;
  int status = 200;     // 404 when refused
  int substatus = 0;    // 5 URL sequence denied, 7 file extension denied, 8 hidden segment
  std::string reason;   // for the log: "hidden segment \"vendor\""
  bool scripts = true;  // false: serve as a static file only, never run PHP (accessPolicy="Read")
};

// `app` is the application the router chose in `site` (its lists already hold
// the site's); `path` is the canonical, decoded URL path starting with '/'.
FilterDecision filter_request(const config::Site& site, const config::Application& app, std::string_view path);

}  // namespace gatehouse::http

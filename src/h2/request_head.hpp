// An HTTP/2 header block into handlers::Request, the head every handler
// reads: the pseudo-header fields become method, target and host, cookies
// that HTTP/2 split are joined again (RFC 9113 8.2.3), and the decoded size is
// bounded by [server.limits] max_request_headers, so a small HPACK block that
// expands to megabytes (an HPACK bomb) stops at the limit and gets 431.
#pragma once

#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/model.hpp"
#include "handlers/request.hpp"

namespace gatehouse::h2 {

class HeadBuilder {
 public:
  // `request` is cleared; `limits` outlives the builder.
  HeadBuilder(handlers::Request& request, const config::Limits& limits);

  // One decoded field, as nghttp2 validated it (lower-case name).
  void add(std::string_view name, std::string_view value);
  // The block ended: takes the views; the reject status (0: accepted, 400,
  // 414 with its substatus, 431) is also left in request.reject_status.
  unsigned finish();
  // The request's content-length field, if it had one (nghttp2 checks the
  // DATA frames against it).
  std::optional<std::uint64_t> content_length() const { return content_length_; }

 private:
  void store(boost::beast::http::field field, std::string_view name, std::string_view value);
  void reject(unsigned status, unsigned substatus, std::string_view detail);

  handlers::Request& request_;
  const config::Limits& limits_;
  std::string authority_, cookie_;
  bool has_path_ = false, has_method_ = false;
  std::optional<std::uint64_t> content_length_;
};

}  // namespace gatehouse::h2

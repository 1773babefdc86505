// The Beast parser that fills the request head (handlers/request.hpp),
// enforcing the URL and header-size limits as the head arrives.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "handlers/request.hpp"

namespace gatehouse::http {

namespace beast_http = boost::beast::http;

using handlers::Request;

// Where body bytes go: the session keeps them for a handler that reads the
// body (PHP), or drops them (static files answer without it).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void on_body(std::string_view chunk) = 0;
};

// The framing rules the parser enforces once the head is complete: one Host,
// and Transfer-Encoding exactly "chunked", never with Content-Length (nginx
// answers the same: 400, and 501 for an unknown coding). status 0: accepted.
struct FramingReject {
  unsigned status = 0;
  std::string_view detail;
};
FramingReject check_framing(unsigned hosts, unsigned encodings, unsigned lengths, std::string_view encoding);

// True when the head in `data` (up to its blank line) folds a field over
// lines (obs-fold: a line starting with a space or tab), which RFC 9112 lets
// a server reject and nginx rejects with 400. `line_parsed`: the parser has
// consumed the request line, so `data` starts at a header line.
bool has_obs_fold(std::string_view data, bool line_parsed);

class RequestParser : public beast_http::basic_parser<true> {
 public:
  RequestParser(Request& request, const config::Limits& limits);
  void set_sink(BodySink* sink) { sink_ = sink; }

 private:
  void on_request_impl(beast_http::verb method, boost::beast::string_view method_str, boost::beast::string_view target,
                       int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(beast_http::field name, boost::beast::string_view name_str, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(boost::optional<std::uint64_t> const& content_length, boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  Request& request_;
  const config::Limits& limits_;
  BodySink* sink_ = nullptr;
};

}  // namespace gatehouse::http

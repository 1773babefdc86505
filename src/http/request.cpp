// Filling Request from Beast's parser callbacks, with the limits that apply
// as the head arrives (URL length, query length, header bytes).
#include "http/request.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace gatehouse::http {

FramingReject check_framing(unsigned hosts, unsigned encodings, unsigned lengths, std::string_view encoding) {
  // One Host only: two let a proxy and the server disagree on the site.
  if (hosts > 1) return {400, "The request carries more than one Host header."};
  if (encodings == 0) return {};
  // RFC 9112 6.3: a request with both is an attempt at smuggling behind a proxy.
  if (lengths > 0) return {400, "The request carries both Transfer-Encoding and Content-Length."};
  while (!encoding.empty() && (encoding.front() == ' ' || encoding.front() == '\t')) encoding.remove_prefix(1);
  while (!encoding.empty() && (encoding.back() == ' ' || encoding.back() == '\t')) encoding.remove_suffix(1);
  if (encodings > 1 || !boost::beast::iequals({encoding.data(), encoding.size()}, "chunked"))
    return {501, "Only the chunked transfer coding is accepted."};
  return {};
}

bool has_obs_fold(std::string_view data, bool line_parsed) {
  auto end = data.find("\r\n\r\n");
  if (end != std::string_view::npos) data = data.substr(0, end + 2);
  if (line_parsed && !data.empty() && (data.front() == ' ' || data.front() == '\t')) return true;
  for (auto nl = data.find('\n'); nl != std::string_view::npos; nl = data.find('\n', nl + 1))
    if (nl + 1 < data.size() && (data[nl + 1] == ' ' || data[nl + 1] == '\t')) return true;
  return false;
}

RequestParser::RequestParser(Request& request, const config::Limits& limits) : request_(request), limits_(limits) {
  // The parser's own limit is a backstop covering request line and fields;
  // the precise checks (414, 431) are made below with the configured values.
  auto head = limits.max_request_headers + limits.max_url_length + limits.max_query_string + 1024;
  header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(head, UINT32_MAX)));
  body_limit(limits.max_allowed_content_length);
  eager(false);
}

void RequestParser::on_request_impl(beast_http::verb method, boost::beast::string_view method_str,
                                    boost::beast::string_view target, int version, boost::beast::error_code& ec) {
  request_.method = method;
  request_.method_text.assign(method_str.data(), method_str.size());
  request_.target.assign(target.data(), target.size());
  request_.version = static_cast<unsigned>(version);
  std::string_view path = request_.path();
  if (path.size() > limits_.max_url_length) {
    request_.reject_status = 414, request_.reject_substatus = 14;
  } else if (request_.query().size() > limits_.max_query_string) {
    request_.reject_status = 414, request_.reject_substatus = 15;
  }
  if (request_.reject_status) {
    request_.reject_detail = "The URL or its query string is too long.";
    ec = beast_http::error::bad_target;
  }
}

void RequestParser::on_field_impl(beast_http::field name, boost::beast::string_view name_str,
                                  boost::beast::string_view value, boost::beast::error_code& ec) {
  request_.header_bytes += name_str.size() + value.size() + 4;  // "name: value\r\n"
  if (request_.header_bytes > limits_.max_request_headers) {
    request_.reject_status = 431;
    request_.reject_detail = "The request headers are too large.";
    ec = beast_http::error::header_limit;
    return;
  }
  // Fields of a chunked body's trailer arrive here too, after on_header_impl:
  // counted above, never stored. Stored, they would grow the arena under the
  // views taken in on_header_impl (a use after free found by http.fuzz) and
  // add headers that the framing and Host checks never saw (a trailer "Host").
  if (is_header_done()) return;
  // Views into the arena are taken in on_header_impl, once it stops growing.
  Request::Field f{name, static_cast<std::uint32_t>(request_.arena.size()), static_cast<std::uint32_t>(name_str.size()),
                   static_cast<std::uint32_t>(request_.arena.size() + name_str.size() + 1),
                   static_cast<std::uint32_t>(value.size())};
  request_.arena.append(name_str.data(), name_str.size());
  request_.arena.push_back('\0');
  request_.arena.append(value.data(), value.size());
  request_.arena.push_back('\0');
  request_.fields.push_back(f);
}

void RequestParser::on_header_impl(boost::beast::error_code& ec) {
  using F = beast_http::field;
  unsigned hosts = 0, encodings = 0, lengths = 0;
  std::string_view encoding;
  for (const auto& f : request_.fields) {
    if (f.name == F::host) ++hosts;
    if (f.name == F::transfer_encoding) {
      encoding = request_.field_value(f);
      ++encodings;
    }
    if (f.name == F::content_length) ++lengths;
  }
  request_.take_views();
  if (auto reject = check_framing(hosts, encodings, lengths, encoding); reject.status) {
    request_.reject_status = reject.status;
    request_.reject_detail = reject.detail;
    ec = beast_http::error::bad_field;
  }
}

void RequestParser::on_body_init_impl(boost::optional<std::uint64_t> const&, boost::beast::error_code&) {
  request_.has_body = true;
}

std::size_t RequestParser::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  request_.body_bytes += body.size();
  if (sink_) sink_->on_body({body.data(), body.size()});
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                              boost::beast::error_code&) {
  request_.body_bytes += body.size();
  if (sink_) sink_->on_body({body.data(), body.size()});
  return body.size();
}

}  // namespace gatehouse::http

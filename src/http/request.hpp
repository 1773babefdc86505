// The request head as the session keeps it (reused from request to request,
// so a keep-alive connection allocates nothing once warm) and the Beast
// parser that fills it, enforcing the URL and header-size limits.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::http {

namespace beast_http = boost::beast::http;

struct Request {
  beast_http::verb method = beast_http::verb::unknown;
  std::string method_text;
  std::string target;  // as received
  unsigned version = 11;
  // Every field, as "name\0value\0" runs in `arena`, for handlers that need them all (PHP).
  struct Field {
    beast_http::field name;
    std::uint32_t name_at, name_len, value_at, value_len;
  };
  std::string arena;
  std::vector<Field> fields;
  std::uint64_t header_bytes = 0;
  std::uint64_t body_bytes = 0;  // received so far
  bool has_body = false;
  unsigned reject_status = 0;  // set by the parser for limits it checks itself
  unsigned reject_substatus = 0;

  // The commonly used fields, captured while parsing (views into `arena`).
  std::string_view host, user_agent, referer, range, expect;
  std::string_view if_match, if_none_match, if_modified_since, if_unmodified_since, if_range;

  void clear();
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', or empty
  std::string_view field_name(const Field& f) const { return {arena.data() + f.name_at, f.name_len}; }
  std::string_view field_value(const Field& f) const { return {arena.data() + f.value_at, f.value_len}; }
};

// Where body bytes go. The static handler drains them; the PHP handler will
// stream them to the worker.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void on_body(std::string_view chunk) = 0;
};

class RequestParser : public beast_http::basic_parser<true> {
 public:
  RequestParser(Request& request, const config::Limits& limits);
  void set_sink(BodySink* sink) { sink_ = sink; }

 private:
  void on_request_impl(beast_http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(beast_http::field name, boost::beast::string_view name_str,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(boost::optional<std::uint64_t> const& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  Request& request_;
  const config::Limits& limits_;
  BodySink* sink_ = nullptr;
};

}  // namespace gatehouse::http

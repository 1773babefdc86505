// The request as every handler sees it, whatever protocol carried it: the
// head (reused from request to request, so a keep-alive connection
// allocates nothing once warm) and the two ends of the connection.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::handlers {

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
  unsigned reject_status = 0;  // set by the parser for limits and framing it checks itself
  unsigned reject_substatus = 0;
  std::string_view reject_detail;  // for the error page (static text)

  // Set when a rewrite rule changed the URL: the query PHP sees
  // (QUERY_STRING); `target` keeps the original (REQUEST_URI, as IIS).
  bool rewritten = false;
  std::string rewritten_query;

  // The commonly used fields, captured while parsing (views into `arena`).
  std::string_view host, user_agent, referer, range, expect;
  std::string_view if_match, if_none_match, if_modified_since, if_unmodified_since, if_range;

  void clear();
  // Points host, user_agent, ... at their fields (the last of each), once
  // `arena` has stopped growing. Every protocol's parser calls it.
  void take_views();
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', or empty
  std::string_view field_name(const Field& f) const { return {arena.data() + f.name_at, f.name_len}; }
  std::string_view field_value(const Field& f) const { return {arena.data() + f.value_at, f.value_len}; }
};

// The connection's two ends, as text for logs and CGI variables.
struct Peer {
  std::string remote_ip;
  std::uint16_t remote_port = 0;
  std::string local_ip;
  std::uint16_t local_port = 0;
  bool https =
      false;  // TLS connection, or X-Forwarded-Proto: https from a trusted balancer: HTTPS=on, REQUEST_SCHEME=https
};

// "Shop.Example:8080" -> "Shop.Example"; "[::1]:80" -> "[::1]".
std::string_view host_without_port(std::string_view host);

}  // namespace gatehouse::handlers

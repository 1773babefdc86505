// HeadBuilder: see request_head.hpp. The limits are those of HTTP/1.1
// (http/request.cpp): the same URL lengths, the same header bytes.
#include "h2/request_head.hpp"

#include <boost/beast/http/field.hpp>
#include <charconv>

namespace gatehouse::h2 {

namespace bhttp = boost::beast::http;

HeadBuilder::HeadBuilder(handlers::Request& request, const config::Limits& limits)
    : request_(request), limits_(limits) {
  request_.clear();
  request_.version = 20;
  request_.arena.reserve(512);  // a usual head in one allocation each
  request_.fields.reserve(16);
}

void HeadBuilder::reject(unsigned status, unsigned substatus, std::string_view detail) {
  if (request_.reject_status) return;  // the first reason stands
  request_.reject_status = status;
  request_.reject_substatus = substatus;
  request_.reject_detail = detail;
}

void HeadBuilder::add(std::string_view name, std::string_view value) {
  // Counted as HTTP/2 counts a header list (RFC 9113 6.5.2: 32 bytes per field).
  request_.header_bytes += name.size() + value.size() + 32;
  if (request_.header_bytes > limits_.max_request_headers) {
    return reject(431, 0, "The request headers are too large.");  // nothing more is stored
  }
  if (name.starts_with(':')) {
    if (name == ":method") {
      request_.method_text.assign(value);
      request_.method = bhttp::string_to_verb({value.data(), value.size()});
      has_method_ = true;
    } else if (name == ":path") {
      request_.target.assign(value);
      has_path_ = true;
    } else if (name == ":authority") {
      authority_.assign(value);
    }
    return;  // :scheme and :protocol change nothing here
  }
  // By the field's identity, not its spelling: nghttp2 lets only lower-case
  // names through, but "Host" must not slip past the :authority rule if a
  // name ever arrives otherwise (h2.fuzz found that it would).
  const bhttp::field field = bhttp::string_to_field({name.data(), name.size()});
  if (field == bhttp::field::cookie) {
    if (!cookie_.empty()) cookie_.append("; ");
    cookie_.append(value);
    return;
  }
  if (field == bhttp::field::host && !authority_.empty()) return;  // :authority wins (RFC 9113 8.3.1)
  if (field == bhttp::field::content_length) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc{} && end == value.data() + value.size()) content_length_ = n;
  }
  store(field, name, value);
}

void HeadBuilder::store(bhttp::field field, std::string_view name, std::string_view value) {
  handlers::Request::Field f{
      field, static_cast<std::uint32_t>(request_.arena.size()), static_cast<std::uint32_t>(name.size()),
      static_cast<std::uint32_t>(request_.arena.size() + name.size() + 1), static_cast<std::uint32_t>(value.size())};
  request_.arena.append(name);
  request_.arena.push_back('\0');
  request_.arena.append(value);
  request_.arena.push_back('\0');
  request_.fields.push_back(f);
}

unsigned HeadBuilder::finish() {
  if (!authority_.empty()) {
    // A Host field the block also carried was dropped in add(): one Host, the authority.
    bool had_host = false;
    for (const auto& f : request_.fields) had_host = had_host || f.name == bhttp::field::host;
    if (!had_host) store(bhttp::field::host, "host", authority_);
  }
  if (!cookie_.empty()) store(bhttp::field::cookie, "cookie", cookie_);
  if (!request_.reject_status) {
    if (!has_method_ || !has_path_)
      reject(400, 0, "The request has no :method or :path.");
    else if (request_.path().size() > limits_.max_url_length)
      reject(414, 14, "The URL or its query string is too long.");
    else if (request_.query().size() > limits_.max_query_string)
      reject(414, 15, "The URL or its query string is too long.");
  }
  request_.take_views();
  return request_.reject_status;
}

}  // namespace gatehouse::h2

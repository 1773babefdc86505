// The request head's accessors; see request.hpp.
#include "handlers/request.hpp"

namespace gatehouse::handlers {

void Request::clear() {
  method = beast_http::verb::unknown;
  method_text.clear();
  target.clear();
  version = 11;
  arena.clear();
  fields.clear();
  header_bytes = body_bytes = 0;
  has_body = false;
  reject_status = reject_substatus = 0;
  reject_detail = {};
  rewritten = false;
  rewritten_query.clear();
  host = user_agent = referer = range = expect = {};
  if_match = if_none_match = if_modified_since = if_unmodified_since = if_range = {};
}

void Request::take_views() {
  using F = beast_http::field;
  for (const auto& f : fields) {
    auto v = field_value(f);
    switch (f.name) {
      case F::host:
        host = v;
        break;
      case F::user_agent:
        user_agent = v;
        break;
      case F::referer:
        referer = v;
        break;
      case F::range:
        range = v;
        break;
      case F::if_match:
        if_match = v;
        break;
      case F::if_none_match:
        if_none_match = v;
        break;
      case F::if_modified_since:
        if_modified_since = v;
        break;
      case F::if_unmodified_since:
        if_unmodified_since = v;
        break;
      case F::if_range:
        if_range = v;
        break;
      case F::expect:
        expect = v;
        break;
      default:
        break;
    }
  }
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::string_view host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

}  // namespace gatehouse::handlers

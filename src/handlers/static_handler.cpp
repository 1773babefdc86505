// GET/HEAD of a static file: method check, cache, open as the identity,
// conditional and range plan, head fields.
#include "handlers/static_handler.hpp"

#include <fmt/format.h>

namespace gatehouse::handlers {
namespace {

namespace bhttp = boost::beast::http;

void plan_file(StaticAnswer& a, const Request& request, const Validators& file) {
  Conditions c{request.if_match, request.if_none_match, request.if_modified_since, request.if_unmodified_since,
               request.if_range};
  auto plan = plan_response(file, c, request.range);
  a.kind = StaticAnswer::Kind::Response;
  a.status = plan.status;
  a.offset = plan.offset;
  a.length = plan.length;
  if (plan.status == 206)
    fmt::format_to_n(a.content_range, sizeof a.content_range - 1, "bytes {}-{}/{}", plan.offset,
                     plan.offset + plan.length - 1, file.size);
  else if (plan.status == 416)
    fmt::format_to_n(a.content_range, sizeof a.content_range - 1, "bytes */{}", file.size);
}

// Percent-encodes a decoded path for a Location header (keeps "/" and unreserved bytes).
void append_encoded_path(std::string& out, std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
                 c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

std::size_t StaticAnswer::fields(std::array<HeaderView, 6>& out) const {
  std::size_t n = 0;
  if (status == 301) {
    out[n++] = {"Location", target};
    return n;
  }
  if (status == 412 || !has_validators) return n;
  out[n++] = {"ETag", validators.etag.view()};
  out[n++] = {"Last-Modified", std::string_view(validators.last_modified, kHttpDateSize)};
  if (status != 304) {
    out[n++] = {"Content-Type", content_type};
    out[n++] = {"Accept-Ranges", "bytes"};
  }
  if (content_range[0]) out[n++] = {"Content-Range", content_range};
  return n;
}

StaticAnswer serve_static(const Request& request, std::string_view url_path, const MountMatch& match,
                          const config::Site& site, const accounts::Identity& who, FileCache& cache) {
  StaticAnswer a;
  if (request.method != bhttp::verb::get && request.method != bhttp::verb::head) {
    a.status = 405;
    a.allow = "GET, HEAD";
    return a;
  }
  const auto& root = match.mount->root;
  if (const auto* hit = cache.find(root, match.relative, who)) {
    a.validators = hit->validators;
    a.has_validators = true;
    a.content_type = hit->content_type;
    a.bytes = &hit->content;
    plan_file(a, request, a.validators);
    return a;
  }
  StaticRequest req{url_path, match.relative, &site.default_documents, &site.php_extensions};
  auto resolved = resolve_static(root, req, who);
  switch (resolved.outcome) {
    case Outcome::File:
      if (const auto* added = cache.insert(root, match.relative, who, resolved.file, resolved.content_type)) {
        a.validators = added->validators;
        a.bytes = &added->content;
      } else {
        a.validators = make_validators(resolved.file.stat());
        a.file = std::move(resolved.file);
      }
      a.has_validators = true;
      a.content_type = resolved.content_type;
      plan_file(a, request, a.validators);
      return a;
    case Outcome::Redirect:
      a.kind = StaticAnswer::Kind::Response;
      a.status = 301;
      append_encoded_path(a.target, resolved.target);
      if (auto q = request.query(); !q.empty()) a.target.append("?").append(q);
      return a;
    case Outcome::Script:
      a.kind = StaticAnswer::Kind::Script;
      a.target = std::move(resolved.target);
      return a;
    case Outcome::Error:
      a.status = resolved.status;
      a.substatus = resolved.substatus;
      a.win32 = resolved.win32;
      return a;
  }
  return a;
}

}  // namespace gatehouse::handlers

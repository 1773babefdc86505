// Script location in a URL path and the response head built from PHP's CGI head.
#include "handlers/php_response.hpp"

#include <charconv>

namespace gatehouse::handlers {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool ends_with_extension(std::string_view segment, const std::vector<std::string>& extensions) {
  for (const auto& ext : extensions)
    if (segment.size() > ext.size() && iequals(segment.substr(segment.size() - ext.size()), ext)) return true;
  return false;
}

// Headers the server owns: framing and connection management are per hop.
bool server_owned(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Connection") || iequals(name, "Keep-Alive") ||
         iequals(name, "Transfer-Encoding") || iequals(name, "Upgrade") || iequals(name, "Trailer") ||
         iequals(name, "Server") || iequals(name, "Date") || iequals(name, "Status");
}

}  // namespace

std::vector<std::size_t> script_candidates(std::string_view url_path, const std::vector<std::string>& extensions) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= url_path.size()) {
    auto slash = url_path.find('/', start);
    auto end = slash == std::string_view::npos ? url_path.size() : slash;
    if (end > start && ends_with_extension(url_path.substr(start, end - start), extensions)) out.push_back(end);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::optional<std::uint64_t> php_content_length(const fastcgi::CgiHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (!iequals(name, "Content-Length")) continue;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc{} && end == value.data() + value.size() && !value.empty()) return n;
    return std::nullopt;
  }
  return std::nullopt;
}

void php_head_fields(const fastcgi::CgiHead& head, std::vector<HeaderView>& out) {
  out.clear();
  for (const auto& [name, value] : head.headers)
    if (!server_owned(name)) out.push_back({name, value});
  if (head.location) out.push_back({"Location", *head.location});
  for (const auto& cookie : head.set_cookies) out.push_back({"Set-Cookie", cookie});
}

}  // namespace gatehouse::handlers

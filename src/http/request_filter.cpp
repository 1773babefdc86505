// requestFiltering in IIS's order for what Gatehouse configures: URL
// sequences (404.5), hidden segments (404.8), file extensions (404.7); then
// the handler policy of the longest matching path.
#include "http/request_filter.hpp"

#include <algorithm>
#include <vector>

namespace gatehouse::http {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < path.size()) {
    const std::size_t end = std::min(path.find('/', at), path.size());
    if (end > at) out.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// ".json" for "composer.json", "." for "Page" (no extension), as IIS keys them.
std::string extension(std::string_view segment) {
  const auto dot = segment.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return ".";
  return lower(segment.substr(dot));
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

FilterDecision refuse(int substatus, std::string reason) {
  return FilterDecision{false, 404, substatus, std::move(reason), false};
}

// The policy of the longest path prefix containing `folded` (lower case, as
// IIS compares URLs); scripts run by default.
bool scripts_allowed(const config::Site& site, const std::string& folded) {
  const config::HandlerPolicy* best = nullptr;
  for (const auto& policy : site.handler_policies) {
    const std::string p = lower(policy.path);
    const bool under = p == "/" || folded == p || (folded.starts_with(p) && folded[p.size()] == '/');
    if (under && (best == nullptr || p.size() > best->path.size())) best = &policy;
  }
  return best == nullptr || best->scripts;
}

}  // namespace

FilterDecision filter_request(const config::Site& site, const config::Application& app, std::string_view path) {
  const config::RequestFiltering& rules = app.request_filtering;
  // Nothing configured (the common case): no work, no allocation per request.
  if (rules.denied_url_sequences.empty() && rules.hidden_segments.empty() && rules.denied_extensions.empty() &&
      rules.allowed_extensions.empty() && site.handler_policies.empty())
    return FilterDecision{};
  const std::string folded = lower(path);
  for (const auto& sequence : rules.denied_url_sequences) {
    if (folded.find(sequence) != std::string::npos) return refuse(5, "URL sequence \"" + sequence + "\" denied");
  }
  const auto parts = segments(path);
  for (const auto& segment : parts) {
    if (contains(rules.hidden_segments, lower(segment))) {
      return refuse(8, "hidden segment \"" + std::string(segment) + "\"");
    }
  }
  for (const auto& segment : parts) {
    const std::string ext = extension(segment);
    if (ext != "." && contains(rules.denied_extensions, ext)) return refuse(7, "file extension \"" + ext + "\" denied");
  }
  if (!rules.allowed_extensions.empty()) {
    const std::string ext = parts.empty() || path.ends_with('/') ? "." : extension(parts.back());
    if (!contains(rules.allowed_extensions, ext)) return refuse(7, "file extension \"" + ext + "\" not allowed");
  }
  return FilterDecision{true, 200, 0, {}, scripts_allowed(site, folded)};
}

}  // namespace gatehouse::http

// Windows to Linux path translation for the IIS import (see path_map.hpp).
#include "iis/path_map.hpp"

#include <algorithm>

namespace gatehouse::iis {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The variables IIS's own defaults use; anything else is a question for the administrator.
std::expected<std::string, std::string> expand(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kKnown[] = {
      {"%systemdrive%", "C:"},
      {"%systemroot%", "C:\\Windows"},
      {"%windir%", "C:\\Windows"},
      {"%programfiles%", "C:\\Program Files"},
      {"%programfiles(x86)%", "C:\\Program Files (x86)"}};
  std::string out;
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] != '%') {
      out += path[i++];
      continue;
    }
    const std::size_t end = path.find('%', i + 1);
    if (end == std::string_view::npos) return std::unexpected("unbalanced '%' in " + std::string{path});
    const std::string name = lower(path.substr(i, end - i + 1));
    auto it = std::find_if(std::begin(kKnown), std::end(kKnown), [&](auto& kv) { return kv.first == name; });
    if (it == std::end(kKnown))
      return std::unexpected("unknown environment variable " + std::string{path.substr(i, end - i + 1)} + " in " +
                             std::string{path});
    out += it->second;
    i = end + 1;
  }
  return out;
}

bool is_prefix(std::string_view prefix, std::string_view path) {
  return path.starts_with(prefix) &&
         (path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.ends_with('/'));
}

}  // namespace

std::expected<std::string, std::string> normalise_windows_path(std::string_view path) {
  auto expanded = expand(path);
  if (!expanded) return expanded;
  std::string out;
  for (char c : *expanded) {
    if (c == '\\') c = '/';
    // Keep the leading "//" of a UNC path; collapse repeats elsewhere.
    if (c == '/' && out.size() >= 2 && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 3 && out.back() == '/') out.pop_back();
  if (out.size() == 3 && out[1] == ':' && out[2] == '/') out.pop_back();  // "C:/" -> "C:"
  std::size_t start = 0;
  while (start <= out.size()) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view segment = std::string_view{out}.substr(start, end - start);
    if (segment == ".." || segment == ".")
      return std::unexpected("a '" + std::string{segment} + "' segment in " + std::string{path} +
                             " (refused: a path must name its folder directly)");
    start = end + 1;
  }
  if (out.find('\0') != std::string::npos) return std::unexpected("a NUL character in a path");
  return out;
}

std::expected<void, std::string> PathMap::add(std::string_view spec) {
  const std::size_t eq = spec.find("=/");
  if (eq == std::string_view::npos || eq == 0)
    return std::unexpected("expected WINDOWS=LINUX like 'C:\\inetpub\\wwwroot=/srv/www', got '" + std::string{spec} +
                           "'");
  auto windows = normalise_windows_path(spec.substr(0, eq));
  if (!windows) return std::unexpected(windows.error());
  const std::string_view linux_path = spec.substr(eq + 1);
  if (linux_path.find("/../") != std::string_view::npos || linux_path.ends_with("/.."))
    return std::unexpected("a '..' segment in " + std::string{linux_path});
  add(*windows, linux_path);
  return {};
}

void PathMap::add(std::string_view windows, std::string_view linux_path) {
  std::string target{linux_path};
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  entries_.push_back(Entry{lower(windows), target});
}

std::expected<std::string, std::string> PathMap::map(std::string_view windows) const {
  auto normal = normalise_windows_path(windows);
  if (!normal) return normal;
  const std::string key = lower(*normal);
  const Entry* best = nullptr;
  for (const auto& e : entries_) {
    if (is_prefix(e.windows, key) && (!best || e.windows.size() > best->windows.size())) best = &e;
  }
  if (!best) {
    if (key.starts_with("//"))
      return std::unexpected("UNC path " + std::string{windows} +
                             " (a network share): mount it and give a --path-map for it");
    const bool drive = key.size() >= 2 && key[1] == ':' && std::isalpha(static_cast<unsigned char>(key[0]));
    if (!drive) return std::unexpected("not an absolute Windows path: " + std::string{windows});
    return std::unexpected("no --path-map prefix covers " + std::string{windows});
  }
  std::string rest = normal->substr(best->windows.size());
  if (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  if (rest.empty()) return best->linux_path;
  return (best->linux_path == "/" ? "" : best->linux_path) + "/" + rest;
}

}  // namespace gatehouse::iis

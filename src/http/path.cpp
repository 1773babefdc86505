// Path canonicalisation: decode once, refuse what IIS's request filtering
// refuses, then normalise segments.
#include "http/path.hpp"

#include <vector>

namespace gatehouse::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::expected<std::string, Rejection> percent_decode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::unexpected(Rejection{400, 0, "invalid percent-encoding"});
      int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return std::unexpected(Rejection{400, 0, "invalid percent-encoding"});
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::expected<void, Rejection> check_decoded(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return std::unexpected(Rejection{400, 0, "NUL in path"});
    if (c < 0x20 || c == 0x7f) return std::unexpected(Rejection{400, 0, "control character in path"});
    if (c == '\\') return std::unexpected(Rejection{400, 0, "backslash in path"});
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0)
      return std::unexpected(Rejection{404, 11, "double-encoded sequence"});
  }
  if (!is_valid_utf8(s)) return std::unexpected(Rejection{400, 0, "invalid UTF-8 in path"});
  return {};
}

bool is_hidden(std::string_view segment) { return segment.starts_with('.') && segment != ".well-known"; }

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0)
      len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
      len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
      len = 4, cp = c & 0x07;
    else
      return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::expected<std::string, Rejection> canonicalize_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return std::unexpected(Rejection{400, 0, "path must start with /"});
  if (raw.find('\\') != std::string_view::npos) return std::unexpected(Rejection{400, 0, "backslash in path"});
  auto decoded = percent_decode(raw);
  if (!decoded) return std::unexpected(decoded.error());
  if (auto ok = check_decoded(*decoded); !ok) return std::unexpected(ok.error());

  std::vector<std::string_view> segments;
  std::string_view rest = *decoded;
  bool trailing_slash = false;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    trailing_slash = slash != std::string_view::npos;
    if (segment.empty() || segment == ".") {
      trailing_slash = true;
      continue;
    }
    if (segment == "..") {
      if (segments.empty()) return std::unexpected(Rejection{400, 0, "path climbs above the root"});
      segments.pop_back();
      trailing_slash = true;
      continue;
    }
    if (is_hidden(segment)) return std::unexpected(Rejection{404, 8, "hidden segment"});
    segments.push_back(segment);
    trailing_slash = slash != std::string_view::npos;
  }
  std::string out;
  out.reserve(decoded->size());
  for (auto s : segments) {
    out.push_back('/');
    out.append(s);
  }
  if (segments.empty() || trailing_slash) out.push_back('/');
  return out;
}

}  // namespace gatehouse::http

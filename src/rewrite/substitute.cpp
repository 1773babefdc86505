// Template expansion and the URL checks and encodings of rewrite results.
#include "rewrite/substitute.hpp"

#include <optional>

namespace gatehouse::rewrite {
namespace {

using Kind = config::TemplatePart::Kind;

constexpr char kHex[] = "0123456789ABCDEF";

void append_escape(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "http:", "mailto:": a scheme before any '/', '?' or '#'.
bool has_scheme(std::string_view url) {
  if (url.empty() || !((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) return false;
  for (unsigned char c : url) {
    if (c == ':') return true;
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

std::string variable(const std::string& name, const Scope& s) {
  const RewriteInput& in = s.input;
  if (name == "QUERY_STRING") return std::string{s.query};
  if (name == "URL") return "/" + std::string{s.path};
  if (name == "REQUEST_URI") return std::string{in.request_uri};
  if (name == "REQUEST_FILENAME") return in.physical_path ? in.physical_path("/" + std::string{s.path}) : "";
  if (name == "HTTPS") return in.https ? "on" : "off";
  if (name == "SERVER_PORT") return std::to_string(in.server_port);
  if (name == "REMOTE_ADDR") return std::string{in.remote_addr};
  if (name == "REQUEST_METHOD") return std::string{in.method};
  if (name.starts_with("HTTP_") && in.header) {
    std::string header = lower(std::string_view{name}.substr(5));
    for (char& c : header)
      if (c == '_') c = '-';
    if (auto value = in.header(header)) return std::string{*value};
  }
  return "";
}

Status expand_parts(const std::vector<config::TemplatePart>& parts, const Scope& s, std::string& out) {
  for (const auto& part : parts) {
    switch (part.kind) {
      case Kind::Literal:
        out += part.text;
        break;
      case Kind::RuleRef:
        if (part.index < s.rule_captures.size()) out += s.rule_captures[part.index];
        break;
      case Kind::ConditionRef:
        if (part.index < s.condition_captures.size()) out += s.condition_captures[part.index];
        break;
      case Kind::Variable:
        out += variable(part.text, s);
        break;
      case Kind::ToLower:
      case Kind::UrlEncode:
      case Kind::UrlDecode: {
        std::string arg;
        if (auto done = expand_parts(part.args, s, arg); !done) return done;
        out += part.kind == Kind::ToLower     ? lower(arg)
               : part.kind == Kind::UrlEncode ? url_encode(arg)
                                              : url_decode(arg);
        break;
      }
    }
    if (out.size() > kMaxExpansion)
      return std::unexpected(
          Error::logic("rewrite", "", "a substitution longer than " + std::to_string(kMaxExpansion) + " bytes"));
  }
  return {};
}

// "a//./b/" -> "a/b/"; nullopt on a ".." segment.
std::optional<std::string> clean_segments(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") return std::nullopt;
    if (!segment.empty() && segment != ".") out += std::string{segment} + "/";
    start = end + 1;
  }
  if (!out.empty() && !path.ends_with('/') && !path.ends_with("/.")) out.pop_back();
  return out;
}

std::string encode(std::string_view text, bool (*keep)(unsigned char)) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (keep(c))
      out += static_cast<char>(c);
    else
      append_escape(out, c);
  }
  return out;
}

}  // namespace

Result<std::string> expand(const config::Template& tmpl, const Scope& scope) {
  std::string out;
  if (auto done = expand_parts(tmpl.parts, scope, out); !done) return std::unexpected(done.error());
  return out;
}

std::string url_encode(std::string_view text) {
  return encode(text, [](unsigned char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; });
}

std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<Target> rewrite_target(std::string_view expanded, std::string_view base) {
  const auto refuse = [&](std::string why) {
    return std::unexpected(
        Error::logic("rewrite", "", "refused the Rewrite target \"" + encode_location(expanded) + "\": " + why));
  };
  Target target;
  const std::size_t mark = expanded.find('?');
  const std::string_view path = expanded.substr(0, mark);
  if (mark != std::string_view::npos) {
    target.has_query = true;
    target.query = expanded.substr(mark + 1);
  }
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f || c == '\\') return refuse("a backslash, NUL or control character in the path");
  if (path.starts_with("//") || has_scheme(path))
    return refuse("an absolute URL (a Rewrite stays inside the site; use a Redirect to leave it)");
  const std::string resolved =
      path.starts_with('/') ? std::string{path.substr(1)} : std::string{base} + std::string{path};
  auto clean = clean_segments(resolved);
  if (!clean) return refuse("a \"..\" segment");
  target.path = std::move(*clean);
  return target;
}

std::string joined_query(const Target& target, std::string_view current, bool append) {
  if (!append || current.empty()) return target.query;
  if (target.query.empty()) return std::string{current};
  return target.query + "&" + std::string{current};
}

std::string encode_path(std::string_view path) {
  return "/" + encode(path, [](unsigned char c) {
           return is_alnum(c) ||
                  std::string_view{"-._~!$&'()*+,;=:@/"}.find(static_cast<char>(c)) != std::string_view::npos;
         });
}

std::string encode_query(std::string_view query) {
  return encode(query, [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '#'; });
}

std::string encode_location(std::string_view location) {
  // A backslash is a '/' to browsers: "/\evil.example" would leave the site.
  return encode(location, [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '\\'; });
}

std::string redirect_location(std::string_view expanded, std::string_view written, std::string_view base,
                              std::string_view current_query, bool append) {
  const std::size_t hash = expanded.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? "" : expanded.substr(hash);
  const std::string_view url = expanded.substr(0, hash);
  const std::size_t mark = url.find('?');
  std::string head{url.substr(0, mark)};
  Target target;
  if (mark != std::string_view::npos) target.query = url.substr(mark + 1);
  if (written.starts_with('/') && !written.starts_with("//")) {
    // A site path as written stays one: "/{C:1}" with C:1 = "/evil.example"
    // must not become the protocol-relative "//evil.example".
    const std::size_t first = head.find_first_not_of("/\\");
    head = "/" + (first == std::string::npos ? std::string{} : head.substr(first));
  } else if (!head.starts_with('/') && !has_scheme(head)) {
    head = "/" + std::string{base} + head;
  }
  const std::string query = joined_query(target, current_query, append);
  return encode_location(head + (query.empty() ? "" : "?" + query) + std::string{fragment});
}

}  // namespace gatehouse::rewrite

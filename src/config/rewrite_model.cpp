// Substitution-string parsing and regex validation for rewrite rules. Pure.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "config/rewrite_model.hpp"

#include <pcre2.h>

#include <memory>

namespace gatehouse::config {
namespace {

std::string upper(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool is_variable(const std::string& name) {
  if (name.starts_with("HTTP_") && name.size() > 5) return true;
  for (auto known : kRewriteVariables)
    if (name == known) return true;
  return false;
}

std::string expected_reference(std::string_view got) {
  std::string vars;
  for (auto v : kRewriteVariables) vars += std::string{v} + ", ";
  return "expected {R:n}, {C:n}, a server variable (" + vars + "HTTP_*) or {ToLower:...}, {UrlEncode:...}, " +
         "{UrlDecode:...}, got {" + std::string{got} + "}";
}

// Where the '}' closing the '{' at `open` is, counting nested braces; npos when none.
std::size_t closing_brace(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

std::expected<std::vector<TemplatePart>, std::string> parse_parts(std::string_view text, int depth);

std::expected<TemplatePart, std::string> parse_reference(std::string_view inner, int depth) {
  using Kind = TemplatePart::Kind;
  if (inner.size() >= 3 && inner.size() <= 4 && (inner[0] == 'R' || inner[0] == 'C') && inner[1] == ':') {
    unsigned n = 0;
    for (char c : inner.substr(2)) {
      if (c < '0' || c > '9') return std::unexpected(expected_reference(inner));
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    return TemplatePart{inner[0] == 'R' ? Kind::RuleRef : Kind::ConditionRef, "", n, {}};
  }
  const std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos) {
    const std::string name = upper(inner);
    if (!is_name(inner) || !is_variable(name)) return std::unexpected(expected_reference(inner));
    return TemplatePart{Kind::Variable, name, 0, {}};
  }
  const std::string function = upper(inner.substr(0, colon));
  Kind kind;
  if (function == "TOLOWER")
    kind = Kind::ToLower;
  else if (function == "URLENCODE")
    kind = Kind::UrlEncode;
  else if (function == "URLDECODE")
    kind = Kind::UrlDecode;
  else
    return std::unexpected(expected_reference(inner) + " (rewrite maps are not supported)");
  auto args = parse_parts(inner.substr(colon + 1), depth + 1);
  if (!args) return std::unexpected(args.error());
  return TemplatePart{kind, "", 0, std::move(*args)};
}

std::expected<std::vector<TemplatePart>, std::string> parse_parts(std::string_view text, int depth) {
  if (depth > 8) return std::unexpected("expected at most 8 nested functions");
  std::vector<TemplatePart> parts;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find('{', at);
    const std::size_t literal_end = open == std::string_view::npos ? text.size() : open;
    if (literal_end > at)
      parts.push_back({TemplatePart::Kind::Literal, std::string{text.substr(at, literal_end - at)}});
    if (open == std::string_view::npos) break;
    const std::size_t close = closing_brace(text, open);
    if (close == std::string_view::npos)
      return std::unexpected("expected '}' closing the '{' at offset " + std::to_string(open));
    auto part = parse_reference(text.substr(open + 1, close - open - 1), depth);
    if (!part) return std::unexpected(part.error());
    parts.push_back(std::move(*part));
    at = close + 1;
  }
  return parts;
}

}  // namespace

std::uint32_t rewrite_regex_options(bool ignore_case) {
  // UTF: canonical paths are valid UTF-8; MATCH_INVALID_UTF: header values may
  // not be, and must simply not match rather than fail. \C would split a
  // character in UTF mode.
  return PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C | (ignore_case ? PCRE2_CASELESS : 0u);
}

std::string rewrite_regex_error(std::string_view pattern, bool ignore_case) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> compiled{
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), rewrite_regex_options(ignore_case),
                    &code, &offset, nullptr),
      &pcre2_code_free};
  if (compiled) return "";
  PCRE2_UCHAR message[256];
  pcre2_get_error_message(code, message, sizeof message);
  return std::string{reinterpret_cast<const char*>(message)} + " at offset " + std::to_string(offset);
}

std::expected<Template, std::string> parse_template(std::string_view text) {
  auto parts = parse_parts(text, 0);
  if (!parts) return std::unexpected(parts.error());
  return Template{std::string{text}, std::move(*parts)};
}

std::string_view to_string(RewriteAction action) {
  switch (action) {
    case RewriteAction::None:
      return "None";
    case RewriteAction::Rewrite:
      return "Rewrite";
    case RewriteAction::Redirect:
      return "Redirect";
    case RewriteAction::CustomResponse:
      return "CustomResponse";
    case RewriteAction::AbortRequest:
      return "AbortRequest";
  }
  return "?";
}

std::string_view to_string(MatchType type) {
  switch (type) {
    case MatchType::Pattern:
      return "Pattern";
    case MatchType::IsFile:
      return "IsFile";
    case MatchType::IsDirectory:
      return "IsDirectory";
  }
  return "?";
}

std::string_view to_string(LogicalGrouping grouping) {
  return grouping == LogicalGrouping::MatchAll ? "MatchAll" : "MatchAny";
}

}  // namespace gatehouse::config

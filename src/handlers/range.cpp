// Range parsing: strict on syntax, since a malformed header must be ignored, not guessed at.
#include "handlers/range.hpp"

#include <charconv>
#include <optional>

namespace gatehouse::handlers {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool unit_is_bytes(std::string_view unit) {
  if (unit.size() != 5) return false;
  constexpr std::string_view kBytes = "bytes";
  for (std::size_t i = 0; i < 5; ++i) {
    char c = unit[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBytes[i]) return false;
  }
  return true;
}

}  // namespace

RangeResult parse_range(std::string_view header, std::uint64_t size) {
  RangeResult full;
  auto eq = header.find('=');
  if (eq == std::string_view::npos || !unit_is_bytes(trim(header.substr(0, eq)))) return full;
  auto spec = trim(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return full;  // several ranges: whole file
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return full;
  auto first_text = trim(spec.substr(0, dash));
  auto last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // suffix range: the last n bytes
    auto n = parse_number(last_text);
    if (!n) return full;
    if (*n == 0 || size == 0) return {RangeKind::Unsatisfiable, {}};
    std::uint64_t len = *n < size ? *n : size;
    return {RangeKind::Partial, {size - len, len}};
  }
  auto first = parse_number(first_text);
  if (!first) return full;
  std::uint64_t last = 0;
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    auto l = parse_number(last_text);
    if (!l || *l < *first) return full;  // last < first is a syntax error: ignore
    last = *l < size ? *l : size - 1;
  }
  if (*first >= size) return {RangeKind::Unsatisfiable, {}};
  return {RangeKind::Partial, {*first, last - *first + 1}};
}

}  // namespace gatehouse::handlers

// Strict parsing of Basic credentials: a lenient decoder would let two
// different headers mean the same credentials and hide malformed clients.
#include "accounts/basic_auth.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace gatehouse::accounts {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_table() {
  std::array<int, 256> table{};
  for (int& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  return table;
}
constexpr std::array<int, 256> kDecode = make_table();

Error bad_header(std::string detail) { return Error{"parse Authorization header", "", EINVAL, {}, std::move(detail)}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int v = kDecode[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;  // includes '=' before the end
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
    }
  }
  // The last group: 2 characters carry 1 byte (4 unused bits), 3 carry 2
  // bytes (2 unused bits); unused bits must be zero (RFC 4648 section 3.5).
  if (padding == 2) {
    if (bits & 0xf) return std::nullopt;
    out += static_cast<char>(bits >> 4);
  } else if (padding == 1) {
    if (bits & 0x3) return std::nullopt;
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>((bits >> 2) & 0xff);
  }
  return out;
}

Result<BasicCredentials> parse_basic_authorization(std::string_view header_value) {
  const std::string_view value = trim(header_value);
  const std::size_t space = std::min(value.find(' '), value.size());
  if (!iequals(value.substr(0, space), "Basic")) return std::unexpected(bad_header("expected the Basic scheme"));
  const std::string_view token = trim(value.substr(space));
  if (token.empty()) return std::unexpected(bad_header("no credentials after Basic"));
  if (token.size() > kMaxBasicToken) return std::unexpected(bad_header("credentials too long"));
  auto decoded = decode_base64(token);
  if (!decoded) return std::unexpected(bad_header("credentials are not valid base64"));
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::unexpected(bad_header("decoded credentials have no ':'"));
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string basic_challenge(std::string_view realm) {
  std::string out = "Basic realm=\"";
  for (char c : realm) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\';
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out + "\", charset=\"UTF-8\"";
}

}  // namespace gatehouse::accounts

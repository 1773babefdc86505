// Derives IIS application pool SIDs (SHA-1 through libcrypto).
#include "perms/sid.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <string>

namespace gatehouse::perms {
namespace {

// UTF-8 to UTF-16LE bytes with ASCII lower-casing (pool names are ASCII in
// practice; other characters are encoded as they are).
std::string utf16le_lower(std::string_view utf8) {
  std::string out;
  auto put = [&out](std::uint32_t unit) {
    out += static_cast<char>(unit & 0xff);
    out += static_cast<char>(unit >> 8);
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xc0) {  // a lead byte: its length is told by its top bits
      len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      cp = c & (0x7f >> len);
    }
    for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k) cp = (cp << 6) | (utf8[i + k] & 0x3f);
    i += len;
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
  }
  return out;
}

}  // namespace

std::string app_pool_sid(std::string_view pool_name) {
  const std::string data = utf16le_lower(pool_name);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr);
  std::string sid = "S-1-5-82";
  for (int word = 0; word < 5; ++word) {
    std::uint32_t value = 0;
    for (int b = 3; b >= 0; --b) value = (value << 8) | digest[word * 4 + b];
    sid += "-" + std::to_string(value);
  }
  return sid;
}

}  // namespace gatehouse::perms

// Derivation of pool account names; see names.hpp for the rules.
#include "accounts/names.hpp"

#include <array>
#include <cstdint>

namespace gatehouse::accounts {
namespace {

constexpr std::size_t kHashDigits = 6;

// FNV-1a: tiny, stable across builds and machines, good enough to tell apart
// pool names (collisions among configured pools are refused anyway).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string hash_suffix(std::string_view text) {
  constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::uint64_t hash = fnv1a(text);
  std::string out(kHashDigits, '0');
  for (std::size_t i = 0; i < kHashDigits; ++i) {
    out[kHashDigits - 1 - i] = kHex[hash & 0xf];
    hash >>= 4;
  }
  return out;
}

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

char sanitise_char(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return is_name_char(c) ? c : '-';
}

}  // namespace

std::string pool_account_name(std::string_view pool_name) {
  std::string body;
  body.reserve(pool_name.size());
  for (char c : pool_name) body += sanitise_char(c);

  const std::size_t room = kMaxAccountNameLength - kPoolAccountPrefix.size();
  if (body == pool_name && !body.empty() && body.size() <= room) {
    return std::string(kPoolAccountPrefix) + body;
  }
  // Changed or too long: keep a readable head and add the hash of the original.
  const std::size_t head = room - kHashDigits - 1;
  if (body.size() > head) body.resize(head);
  std::string name(kPoolAccountPrefix);
  if (!body.empty()) name += body + "-";
  return name + hash_suffix(pool_name);
}

std::string pool_account(const config::Pool& pool) {
  return pool.uses_pool_identity() ? pool_account_name(pool.name) : pool.identity;
}

bool is_valid_account_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxAccountNameLength) return false;
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace gatehouse::accounts

// HTTP Basic authentication on the wire (RFC 7617): parsing an Authorization
// header into user and password, and the WWW-Authenticate challenge.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace gatehouse::accounts {

inline constexpr std::size_t kMaxBasicToken = 4096;  // base64 characters, about 3 KiB of credentials

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "Basic dXNlcjpwYXNz" -> {user, pass}. The scheme is case-insensitive; the
// token must be strict base64 (RFC 4648 alphabet, padded, no stray bits) and
// decode to "user:password", split at the FIRST colon (a password may hold
// colons, a user name may not). Anything else is an error (op "parse
// Authorization header", EINVAL) that the caller answers with 401. The
// values are not checked further: authenticate() refuses bad names.
Result<BasicCredentials> parse_basic_authorization(std::string_view header_value);

// Strict RFC 4648 base64 decoding; nullopt on any deviation.
std::optional<std::string> decode_base64(std::string_view text);

// The WWW-Authenticate value: Basic realm="<realm>", charset="UTF-8", with
// '"' and '\' escaped and control characters replaced by spaces.
std::string basic_challenge(std::string_view realm);

}  // namespace gatehouse::accounts

// The error value used wherever a failure can really happen (syscalls, peers,
// permissions, user input): what was attempted, on what, and errno.
#pragma once

#include <cerrno>
#include <expected>
#include <string>

namespace gatehouse {

struct Error {
  std::string op;       // what was attempted: "open", "setfsuid", "parse request"
  std::string target;   // on what: a path, an account, a peer
  int errnum = 0;       // errno, 0 when not a system error
  std::string context;  // "[pool shop]", "[site blog]", or empty
  std::string detail;   // free text for non-system errors

  // "[pool shop] open /srv/x failed: Permission denied"
  std::string message() const;

  static Error sys(std::string op, std::string target, int errnum = errno);
  static Error logic(std::string op, std::string target, std::string detail);
};

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

}  // namespace gatehouse

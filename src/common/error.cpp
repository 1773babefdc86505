// Formatting of Error values for logs and CLI output.
#include "common/error.hpp"

#include <cstring>

namespace gatehouse {

std::string Error::message() const {
  std::string out;
  if (!context.empty()) out += context + " ";
  out += op;
  if (!target.empty()) out += " " + target;
  out += " failed";
  if (errnum != 0) out += std::string(": ") + std::strerror(errnum);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

Error Error::sys(std::string op, std::string target, int errnum) {
  return Error{std::move(op), std::move(target), errnum, {}, {}};
}

Error Error::logic(std::string op, std::string target, std::string detail) {
  return Error{std::move(op), std::move(target), 0, {}, std::move(detail)};
}

}  // namespace gatehouse

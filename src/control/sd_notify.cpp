// $NOTIFY_SOCKET is a path, or "@name" for the abstract namespace.
#include "control/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "common/unique_fd.hpp"

namespace gatehouse::control {

bool sd_notify(std::string_view state) {
  const char* where = std::getenv("NOTIFY_SOCKET");
  if (!where || (where[0] != '/' && where[0] != '@')) return true;
  std::size_t len = std::strlen(where);
  struct sockaddr_un addr {};
  if (len >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, where, len);
  if (where[0] == '@') addr.sun_path[0] = '\0';
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  auto addr_len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len);
  return ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), addr_len) ==
         static_cast<ssize_t>(state.size());
}

}  // namespace gatehouse::control

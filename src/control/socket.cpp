// Ownership checks and small blocking I/O helpers for the control socket.
#include "control/socket.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace gatehouse::control {

std::filesystem::path socket_path(const std::filesystem::path& state_dir) { return state_dir / "control.sock"; }

Status check_folder(const std::filesystem::path& dir, uid_t owner) {
  struct stat st {};
  // stat, not lstat: /var/lib/gatehouse may be a link to another disk; what
  // matters is who can write in the folder the socket really lives in.
  if (::stat(dir.c_str(), &st) != 0) return std::unexpected(Error::sys("stat", dir.string()));
  if (!S_ISDIR(st.st_mode)) return std::unexpected(Error::logic("control socket", dir.string(), "not a folder"));
  if (st.st_uid != owner)
    return std::unexpected(Error::logic("control socket", dir.string(),
                                        fmt::format("owned by uid {}, not {}: refused", st.st_uid, owner)));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return std::unexpected(
        Error::logic("control socket", dir.string(), "writable by group or others: refused (chmod go-w)"));
  return {};
}

Result<uid_t> peer_uid(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return std::unexpected(Error::sys("getsockopt SO_PEERCRED", "control socket"));
  return cred.uid;
}

void set_timeouts(int fd, int seconds) {
  struct timeval tv {
    .tv_sec = seconds, .tv_usec = 0
  };
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

Result<std::string> read_line(int fd, std::size_t max) {
  std::string line;
  char buf[512];
  while (line.size() <= max) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(Error::sys("recv", "control socket"));
    if (n == 0) return std::unexpected(Error::logic("recv", "control socket", "closed before a full line"));
    line.append(buf, static_cast<std::size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      return line;
    }
  }
  return std::unexpected(Error::logic("recv", "control socket", "line too long"));
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(Error::sys("send", "control socket"));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace gatehouse::control

// Channel: sendmsg/recvmsg of one datagram with SCM_RIGHTS.
#include "supervisor/channel.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace gatehouse::supervisor {
namespace {

constexpr std::size_t kMaxFds = 3;
constexpr std::size_t kMaxDatagram = 4096;  // larger than any message: a bigger one arrives truncated

Error protocol_error(std::string detail) {
  Error e = Error::logic("receive", "supervisor channel", std::move(detail));
  e.errnum = EPROTO;
  return e;
}

}  // namespace

Result<std::pair<UniqueFd, UniqueFd>> make_socketpair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return std::unexpected(Error::sys("socketpair", "supervisor channel"));
  return std::pair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Status Channel::send(const Message& message, const std::vector<int>& fds) const {
  auto bytes = encode(message);
  iovec iov{bytes.data(), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  if (fds.size() > kMaxFds) return std::unexpected(Error::logic("send", "supervisor channel", "too many descriptors"));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return std::unexpected(Error::sys("sendmsg", "supervisor channel"));
  return {};
}

Result<Received> Channel::receive(Reader reader, std::chrono::milliseconds timeout) const {
  pollfd p{fd_.get(), POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return std::unexpected(Error::sys("poll", "supervisor channel"));
  if (ready == 0) return std::unexpected(Error::sys("receive", "supervisor channel", ETIMEDOUT));
  std::array<std::byte, kMaxDatagram> buffer;
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return std::unexpected(Error::sys("recvmsg", "supervisor channel"));
  Received out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);  // owned now: closed if the message is refused
    }
  }
  if (n == 0 && out.fds.empty()) {
    Error e = Error::logic("receive", "supervisor channel", "peer closed");
    return std::unexpected(e);
  }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return std::unexpected(protocol_error("truncated datagram"));
  auto decoded = decode(std::span(buffer.data(), static_cast<std::size_t>(n)), out.fds.size(), reader);
  if (!decoded) return std::unexpected(decoded.error());
  out.message = std::move(*decoded);
  return out;
}

}  // namespace gatehouse::supervisor

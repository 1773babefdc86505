// Finding which child of a php-cgi parent accepted a connection: sock_diag
// gives the inode of the peer of our end, the children's fd tables tell who
// holds that inode. Needs root or the children's uid (the front asks the
// supervisor, see supervisor/).
#include "pool/php_children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

namespace gatehouse::pool {
namespace {

// The inode of the socket at the other end of our unix socket `ino`; 0 while
// no process accepted it (the kernel gives the server side an inode at accept).
std::uint32_t peer_inode(ino_t ino) {
  UniqueFd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) return 0;
  struct {
    nlmsghdr header;
    unix_diag_req request;
  } query{};
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;
  query.request.sdiag_family = AF_UNIX;
  query.request.udiag_states = ~0U;
  query.request.udiag_ino = static_cast<std::uint32_t>(ino);
  query.request.udiag_show = UDIAG_SHOW_PEER;
  query.request.udiag_cookie[0] = query.request.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.get(), &query, sizeof query, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) return 0;
  alignas(nlmsghdr) char buf[1024];
  ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
  if (n < static_cast<ssize_t>(sizeof(nlmsghdr))) return 0;
  auto* h = reinterpret_cast<nlmsghdr*>(buf);
  if (!NLMSG_OK(h, static_cast<unsigned>(n)) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY) return 0;
  auto* msg = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
  int left = static_cast<int>(h->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof *msg));
  for (auto* a = reinterpret_cast<nlattr*>(msg + 1);
       left >= static_cast<int>(sizeof(nlattr)) && a->nla_len >= sizeof *a; left -= NLA_ALIGN(a->nla_len),
             a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) + NLA_ALIGN(a->nla_len))) {
    if (a->nla_type == UNIX_DIAG_PEER && a->nla_len >= NLA_HDRLEN + sizeof(std::uint32_t)) {
      std::uint32_t peer = 0;
      std::memcpy(&peer, reinterpret_cast<char*>(a) + NLA_HDRLEN, sizeof peer);
      return peer;
    }
  }
  return 0;
}

bool holds_socket(pid_t pid, const std::string& link) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  char target[64];
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ssize_t n = ::readlinkat(::dirfd(d), e->d_name, target, sizeof target);
    if (n > 0 && static_cast<std::size_t>(n) == link.size() && link.compare(0, link.size(), target, n) == 0) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

pid_t accepted_by(int fd, pid_t parent) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return 0;
  return accepted_by_inode(st.st_ino, parent);
}

pid_t accepted_by_inode(ino_t ino, pid_t parent) {
  if (ino == 0 || parent <= 0) return 0;
  std::uint32_t peer = peer_inode(ino);
  if (peer == 0) return 0;
  const std::string link = "socket:[" + std::to_string(peer) + "]";
  std::ifstream children("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children");
  pid_t child = 0;
  while (children >> child)
    if (holds_socket(child, link)) return child;
  return 0;
}

int pidfd_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

UniqueFd pidfd_open(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

Result<UniqueFd> connect_unix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  if (path.native().size() >= sizeof addr.sun_path)
    return std::unexpected(Error::logic("connect", path, "path too long"));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(Error::sys("socket", ""));
  if (fd.get() <= 2) {  // keep 0-2 free for the dup2s of a later spawn
    int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return std::unexpected(Error::sys("fcntl", "F_DUPFD_CLOEXEC"));
    fd.reset(moved);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return std::unexpected(Error::sys("connect", path));
  return fd;
}

}  // namespace gatehouse::pool

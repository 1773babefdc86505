// The messages between the root supervisor and the sandboxed front (issue 9):
// fixed-size records over a SOCK_SEQPACKET socketpair, so one datagram is one
// message. Pure: encode to bytes, decode (strictly) from bytes; the channel
// (channel.hpp) moves them with their descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace gatehouse::supervisor {

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxGroups = 64;

enum class Type : std::uint32_t {
  // supervisor -> front
  Hello = 1,        // + 0 fds; n Listener messages follow
  Listener,         // + 1 fd: one listening socket
  Worker,           // + 3 fds when errnum == 0: connection, status pipe, pidfd
  AuthResult,       // + 0 fds
  ReopenLogs,       // + 1 fd when error_log == 1: the error log, opened again by the supervisor
  Stop,             // + 0 fds
  ControlListener,  // + 1 fd: the control socket (<state_dir>/control.sock), bound by the supervisor
  UsageResult,      // + 0 fds
  AdminListener,    // + 1 fd: the admin listener ([server.admin]), bound by the supervisor
  ReloadResult,     // + 0 fds: the answer to Order reload (JSON for the control socket)
  Connected,        // + 1 fd when errnum == 0: a new connection to a worker's socket
  ChildResult,      // + 1 fd when pid != 0: the pidfd of the child that accepted a connection
  IniStampResult,   // + 0 fds
  Adopt,            // + 3 fds: a worker kept across a front restart (connection, status pipe at EOF, pidfd)
  // front -> supervisor
  Ready = 64,  // after confine_front
  Spawn,       // start a worker for (pool index, account)
  Kill,        // signal a worker this front was given
  Auth,        // check a password through PAM
  Order,       // the control socket's stop / reopen-logs, for the whole server
  Usage,       // resident sizes of workers, for `gatehouse status` (the front cannot read /proc)
  Resolve,     // an account name to its ids (the front does not read /etc/passwd); answered by AuthResult
  Connect,     // a connection to a worker's (php-cgi parent's) socket; answered by Connected
  Child,       // which child of a worker accepted a connection; answered by ChildResult
  IniStamp,    // the stamp of a pool's php.ini (the front may not see it); answered by IniStampResult
};

// Every message starts with this header; `size` is the whole datagram.
struct Header {
  std::uint32_t type = 0;
  std::uint32_t size = 0;
  std::uint64_t id = 0;  // request id, echoed by the answer
};

// Strings travel NUL-terminated in fixed arrays; a decoded one that fills its
// array without a NUL is refused.
struct Hello {
  std::uint32_t version = kProtocolVersion;
  std::uint32_t listeners = 0;
  std::uint64_t config_hash = 0;  // of the configuration bytes: both ends load the same file
  std::uint32_t control = 0;      // 1: a ControlListener follows the listeners
  std::uint32_t admin = 0;        // 1: an AdminListener follows (after the ControlListener)
  std::uint32_t draining = 0;     // 1: the node drains (`gatehouse drain`, issue 18): a new front keeps it so
  std::uint32_t adopt = 0;        // how many Adopt messages follow (after the AdminListener)
};
struct Listener {
  std::uint32_t thread = 0;  // the I/O thread it belongs to
  std::uint32_t port = 0;
  char ip[48] = {};
};
struct Worker {
  std::int32_t errnum = 0;  // 0: started, fds attached
  std::int32_t pid = 0;
  std::uint64_t worker = 0;  // the supervisor's name for it
  char detail[200] = {};     // why not, when errnum != 0
};
struct AuthResult {
  std::uint32_t outcome = 0;  // 0 denied, 1 granted, 2 PAM failed
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t n_groups = 0;
  std::uint32_t groups[kMaxGroups] = {};
  char name[33] = {};
  char reason[127] = {};
};
struct ReopenLogs {
  std::uint32_t error_log = 0;  // 1: the reopened error.log travels with it (1 fd)
};
struct Stop {
  std::uint32_t grace_seconds = 0;
  std::uint32_t reload = 0;  // 1: a new front follows (drain keep-alive connections gently)
};
struct ControlListener {};
struct UsageResult {
  std::uint32_t n = 0;
  std::uint32_t pad = 0;
  std::uint64_t rss_kib[kMaxGroups] = {};      // 0: not a live worker of this front
  std::uint64_t private_kib[kMaxGroups] = {};  // private clean + dirty + swap ([pools.limits] instance_memory)
};
struct AdminListener {};
struct ReloadResult {
  std::uint32_t ok = 0;  // 1: reloaded (the front is restarted with the new configuration next)
  std::uint32_t pad = 0;
  char json[3800] = {};  // what the control socket answers
};
struct Ready {};
struct Order {
  std::uint32_t what = 0;  // 1 stop, 2 reopen-logs, 3 reload (answered by ReloadResult), 4 drain begun, 5 cancelled
};
struct Resolve {
  char account[33] = {};
};
struct Usage {
  std::uint32_t n = 0;
  std::int32_t pids[kMaxGroups] = {};
};
struct Spawn {
  std::uint32_t pool = 0;  // index into the configuration's pools
  std::uint32_t uid = 0;   // the account's uid as the front resolved it (checked)
  char account[33] = {};
};
// Whom a Kill is for: a worker (php-cgi parent) the front was given, a child
// of one that Child named, or a worker's whole process group.
enum class KillTarget : std::uint32_t { Worker = 0, Child = 1, Group = 2 };
struct Kill {
  std::uint64_t worker = 0;  // the worker, or the child's name from ChildResult
  std::uint32_t signal = 0;  // SIGTERM or SIGKILL only
  std::uint32_t target = 0;  // KillTarget
};
struct Connect {
  std::uint64_t worker = 0;
};
struct Connected {
  std::int32_t errnum = 0;  // 0: connected, fd attached
  std::uint32_t pad = 0;
  char detail[200] = {};
};
struct Child {
  std::uint64_t worker = 0;  // the php-cgi parent
  std::uint64_t inode = 0;   // of the front's end of the connection (fstat)
};
// A live worker (php-cgi parent) the previous front was given: the new
// front takes it over with its warm caches instead of starting another.
struct Adopt {
  std::uint32_t pool = 0;  // index into the configuration's pools
  std::int32_t pid = 0;
  std::uint64_t worker = 0;
  char account[33] = {};
};
struct IniStamp {
  std::uint32_t pool = 0;  // index into the configuration's pools
};
struct IniStampResult {
  std::uint32_t exists = 0;
  std::uint32_t pad = 0;
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
};
struct ChildResult {
  std::int32_t pid = 0;  // 0: no child accepted it yet
  std::uint32_t pad = 0;
  std::uint64_t child = 0;  // the supervisor's name for it (Kill with KillTarget::Child)
};
struct Auth {
  char user[256] = {};
  char password[512] = {};
  char remote[64] = {};
};

using Body = std::variant<Hello, Listener, Worker, AuthResult, ReopenLogs, Stop, ControlListener, UsageResult,
                          AdminListener, ReloadResult, Connected, ChildResult, Ready, Spawn, Kill, Auth, Order, Usage,
                          Resolve, Connect, Child, IniStamp, IniStampResult, Adopt>;

struct Message {
  std::uint64_t id = 0;
  Body body;
};

// How many descriptors a message of this body carries.
std::size_t fds_of(const Body& body);

// The datagram for `message`.
std::vector<std::byte> encode(const Message& message);

// Which side reads: the supervisor accepts only front -> supervisor types,
// the front only the others.
enum class Reader { Supervisor, Front };

// Decodes one datagram that arrived with `fds` descriptors. Refused (EPROTO,
// detail says why): a size that is not exactly the header plus the type's
// body, a header size that differs from the datagram's, a type unknown or not
// for `reader`, a descriptor count other than the type's, a string without
// its NUL, a count beyond its array.
Result<Message> decode(std::span<const std::byte> datagram, std::size_t fds, Reader reader);

// Copies `text` into a fixed array (false when it does not fit with its NUL).
template <std::size_t N>
bool put(char (&out)[N], std::string_view text) {
  if (text.size() >= N) return false;
  text.copy(out, text.size());
  out[text.size()] = '\0';
  return true;
}
template <std::size_t N>
std::string get(const char (&in)[N]) {
  return std::string(in, ::strnlen(in, N));
}

}  // namespace gatehouse::supervisor

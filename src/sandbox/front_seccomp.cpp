// The front's two seccomp filters (libseccomp): the allow-list of system calls
// an Asio/epoll HTTP server needs, and the refusal of any set*id call to 0.
// Default action of the allow-list: KILL_PROCESS (see README.md: a call that
// is on no list is either an exploit probing or a bug, and the supervisor sees
// SIGSYS and restarts the front); the calls that code might try on purpose
// (execve, ptrace, set*id, fork) answer EPERM instead, so it fails cleanly.
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/front.hpp"

namespace gatehouse::sandbox {
namespace {

// Allowed without conditions. Each group says why the front needs it.
constexpr const char* kAllowed[] = {
    // memory: malloc, thread stacks, Beast's buffers
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    // files: which file may be opened is Landlock's decision and the fsuid's, not seccomp's
    "openat",
    "openat2",
    "open",
    "close",
    "read",
    "pread64",
    "readv",
    "preadv",
    "write",
    "writev",
    "pwrite64",
    "lseek",
    "fstat",
    "newfstatat",
    "statx",
    "fcntl",
    "getdents64",
    "readlinkat",  // std::filesystem resolving the served roots' paths (Landlock does not cover readlink)
    "readlink",
    "faccessat2",  // access(): permission checks (the kernel's, as the fsuid); which files: Landlock
    "faccessat",
    "access",
    "fsync",
    "fdatasync",
    "fadvise64",
    // static files to the socket without a copy
    "sendfile",
    // sockets: accept on the listening sockets it was given, talk HTTP and FastCGI (socket(): AF_UNIX only,
    // below)
    "accept4",
    "accept",
    "recvfrom",
    "recvmsg",
    "sendto",
    "sendmsg",
    "shutdown",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "connect",
    // Asio's reactor: epoll, its interrupter (eventfd, or a pipe), its timers
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "pipe2",
    "poll",
    "ppoll",
    // threads and their synchronisation (clone: threads only, below)
    "futex",
    "set_robust_list",
    "rseq",
    "set_tid_address",
    "sched_yield",
    "sched_getaffinity",
    "gettid",
    "getpid",
    "membarrier",
    // signals of its own (the main thread's sigwait), sleeping, leaving
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "sigaltstack",
    "restart_syscall",
    "nanosleep",
    "clock_nanosleep",
    "exit",
    "exit_group",
    // clocks (the 250 ms tick, Date headers, log timestamps)
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    // reading its own ids (ThreadCredentials saves the current groups)
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    // the per-thread credential switch for static files (0 refused by the second filter)
    "setfsuid",
    "setfsgid",
    "setgroups",
    // randomness (hash seeds, later TLS)
    "getrandom",
};

// Answered EPERM (ENOSYS for clone3, so glibc falls back to clone): never
// needed by the front, tried by an attacker, and cleanly failing for code.
constexpr const char* kRefused[] = {
    "execve",
    "execveat",  // no program of its own choosing
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",  // no reaching into another process
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",  // real/effective ids are fixed
    "fork",
    "vfork",
    "kill",  // no child, no signal to others
};

// The calls that take a uid or gid, and how many id arguments each has.
struct IdCall {
  const char* name;
  unsigned id_args;
};
constexpr IdCall kIdCalls[] = {{"setuid", 1},   {"setgid", 1},   {"setfsuid", 1},  {"setfsgid", 1},
                               {"setreuid", 2}, {"setregid", 2}, {"setresuid", 3}, {"setresgid", 3}};

struct CtxFree {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxFree>;

Error seccomp_error(const std::string& what, int rc) { return Error::sys("seccomp " + what, "front", -rc); }

// -1 when this architecture has no such call (aarch64 has no open, poll, time).
int resolve(const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  return nr == __NR_SCMP_ERROR ? -1 : nr;
}

Status add(scmp_filter_ctx ctx, std::uint32_t action, const char* name, std::initializer_list<scmp_arg_cmp> args,
           std::size_t& count) {
  int nr = resolve(name);
  if (nr < 0) return {};
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.begin());
  if (rc < 0) return std::unexpected(seccomp_error(std::string("rule ") + name, rc));
  ++count;
  return {};
}

Result<Ctx> new_filter(std::uint32_t default_action) {
  Ctx ctx(seccomp_init(default_action));
  if (!ctx) return std::unexpected(Error::logic("seccomp_init", "front", "libseccomp refused"));
  // One filter for every thread; the bad-architecture action stays KILL (int 0x80, x32).
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc < 0)
    return std::unexpected(seccomp_error("TSYNC", rc));
  return ctx;
}

// Filter 1 of 2: default ALLOW, but ERRNO(EPERM) for any set*id whose id
// argument is 0. Compared on the low 32 bits: the kernel truncates the
// register to uid_t, so 0x100000000 would otherwise pass as 0.
Status load_no_root_filter() {
  auto ctx = new_filter(SCMP_ACT_ALLOW);
  if (!ctx) return std::unexpected(ctx.error());
  std::size_t count = 0;
  for (const auto& call : kIdCalls)
    for (unsigned arg = 0; arg < call.id_args; ++arg) {
      scmp_arg_cmp zero{arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL, 0};
      if (auto s = add(ctx->get(), SCMP_ACT_ERRNO(EPERM), call.name, {zero}, count); !s) return s;
    }
  if (int rc = seccomp_load(ctx->get()); rc < 0) return std::unexpected(seccomp_error("load (no root)", rc));
  return {};
}

// Filter 2 of 2: the allow-list. Loaded last, so it need not allow seccomp().
Result<std::size_t> load_allow_list() {
  auto ctx = new_filter(SCMP_ACT_KILL_PROCESS);
  if (!ctx) return std::unexpected(ctx.error());
  scmp_filter_ctx c = ctx->get();
  std::size_t count = 0;
  for (const char* name : kAllowed)
    if (auto s = add(c, SCMP_ACT_ALLOW, name, {}, count); !s) return std::unexpected(s.error());
  std::size_t ignored = 0;  // the refusals are not part of the allow-list's count
  for (const char* name : kRefused)
    if (auto s = add(c, SCMP_ACT_ERRNO(EPERM), name, {}, ignored); !s) return std::unexpected(s.error());
  if (auto s = add(c, SCMP_ACT_ERRNO(ENOSYS), "clone3", {}, ignored); !s) return std::unexpected(s.error());
  // clone: new threads only (CLONE_THREAD set), never a new process.
  scmp_arg_cmp thread{0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD};
  // socket: AF_UNIX only (FastCGI to the workers); no outbound TCP, no raw or netlink sockets.
  scmp_arg_cmp unix_only{0, SCMP_CMP_EQ, AF_UNIX, 0};
  // tgkill: to itself only (abort(), raise()).
  scmp_arg_cmp self{0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(::getpid()), 0};
  for (auto [name, cmp] : {std::pair{"clone", thread}, {"socket", unix_only}, {"tgkill", self}})
    if (auto s = add(c, SCMP_ACT_ALLOW, name, {cmp}, count); !s) return std::unexpected(s.error());
  // ioctl: non-blocking mode and bytes available (Asio), isatty (the log sink).
  for (unsigned long request : {FIONBIO, FIONREAD, TCGETS}) {
    scmp_arg_cmp req{1, SCMP_CMP_EQ, request, 0};
    if (auto s = add(c, SCMP_ACT_ALLOW, "ioctl", {req}, count); !s) return std::unexpected(s.error());
  }
  if (int rc = seccomp_load(c); rc < 0) return std::unexpected(seccomp_error("load (allow-list)", rc));
  return count;
}

}  // namespace

Result<std::size_t> load_front_seccomp() {
  if (auto s = load_no_root_filter(); !s) return std::unexpected(s.error());
  return load_allow_list();
}

std::vector<std::string> front_syscall_names() {
  std::vector<std::string> out(std::begin(kAllowed), std::end(kAllowed));
  for (const char* name : {"clone", "socket", "tgkill", "ioctl"}) out.emplace_back(name);
  return out;
}

}  // namespace gatehouse::sandbox

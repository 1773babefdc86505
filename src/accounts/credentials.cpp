// Per-thread fs credentials and the worker child's privilege drop; raw
// syscalls throughout because glibc's wrappers apply set*id to all threads.
#include "accounts/credentials.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include "common/log.hpp"

namespace gatehouse::accounts {
namespace {

// setfsuid/setfsgid never report errors: they return the previous value.
// An invalid id (-1) changes nothing, so it reads the current value.
constexpr long kQuery = -1;

long sys_setfsuid(long uid) noexcept { return ::syscall(SYS_setfsuid, uid); }
long sys_setfsgid(long gid) noexcept { return ::syscall(SYS_setfsgid, gid); }

int sys_setgroups(std::size_t count, const gid_t* groups) noexcept {
  return static_cast<int>(::syscall(SYS_setgroups, count, groups));
}

Result<std::vector<gid_t>> thread_groups() {
  const long count = ::syscall(SYS_getgroups, 0, nullptr);
  if (count < 0) return std::unexpected(Error::sys("getgroups", "current thread"));
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  const long got = ::syscall(SYS_getgroups, count, groups.data());
  if (got < 0) return std::unexpected(Error::sys("getgroups", "current thread"));
  groups.resize(static_cast<std::size_t>(got));
  return groups;
}

Status set_fsgid(gid_t gid) noexcept {
  sys_setfsgid(gid);
  if (static_cast<gid_t>(sys_setfsgid(kQuery)) != gid) {
    return std::unexpected(Error::sys("setfsgid", std::to_string(gid), EPERM));
  }
  return {};
}

Status set_fsuid(uid_t uid) noexcept {
  sys_setfsuid(uid);
  if (static_cast<uid_t>(sys_setfsuid(kQuery)) != uid) {
    return std::unexpected(Error::sys("setfsuid", std::to_string(uid), EPERM));
  }
  return {};
}

pid_t thread_id() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

}  // namespace

uid_t current_fsuid() noexcept { return static_cast<uid_t>(sys_setfsuid(kQuery)); }
gid_t current_fsgid() noexcept { return static_cast<gid_t>(sys_setfsgid(kQuery)); }

Result<ThreadCredentials> ThreadCredentials::assume(const Identity& identity) {
  auto guard = assume(identity.uid, identity.gid, identity.groups);
  if (!guard) {
    Error error = guard.error();
    error.target = identity.name;
    return std::unexpected(std::move(error));
  }
  return guard;
}

Result<ThreadCredentials> ThreadCredentials::assume(uid_t uid, gid_t gid, std::span<const gid_t> groups) {
  ThreadCredentials guard;
  guard.tid_ = thread_id();
  guard.prev_fsuid_ = current_fsuid();
  guard.prev_fsgid_ = current_fsgid();
  auto previous = thread_groups();
  if (!previous) return std::unexpected(previous.error());
  guard.prev_groups_ = std::move(*previous);

  // Groups and gid first: once fsuid is not 0 the thread still has CAP_SETGID,
  // but doing uid last mirrors the process drop and keeps reasoning simple.
  // On an early return the guard's destructor undoes the steps already done.
  if (sys_setgroups(groups.size(), groups.data()) < 0) {
    return std::unexpected(Error::sys("setgroups", std::to_string(uid)));
  }
  guard.groups_set_ = true;
  if (auto ok = set_fsgid(gid); !ok) return std::unexpected(ok.error());
  guard.fsgid_set_ = true;
  if (auto ok = set_fsuid(uid); !ok) return std::unexpected(ok.error());
  guard.fsuid_set_ = true;
  return guard;
}

ThreadCredentials::ThreadCredentials(ThreadCredentials&& other) noexcept
    : prev_fsuid_(other.prev_fsuid_),
      prev_fsgid_(other.prev_fsgid_),
      prev_groups_(std::move(other.prev_groups_)),
      tid_(other.tid_),
      groups_set_(other.groups_set_),
      fsgid_set_(other.fsgid_set_),
      fsuid_set_(other.fsuid_set_) {
  other.groups_set_ = other.fsgid_set_ = other.fsuid_set_ = false;
}

ThreadCredentials::~ThreadCredentials() {
  if (!groups_set_ && !fsgid_set_ && !fsuid_set_) return;
  if (auto ok = restore(); !ok) {
    log::error("restoring thread credentials failed: {}; aborting", ok.error().message());
    std::abort();
  }
}

Status ThreadCredentials::restore() {
  if (thread_id() != tid_) {
    return std::unexpected(Error::logic("restore credentials", "thread " + std::to_string(thread_id()),
                                        "guard destroyed on another thread than it was made on"));
  }
  // Reverse order: fsuid 0 first brings back the capabilities the rest needs.
  if (fsuid_set_) {
    if (auto ok = set_fsuid(prev_fsuid_); !ok) return ok;
  }
  if (fsgid_set_) {
    if (auto ok = set_fsgid(prev_fsgid_); !ok) return ok;
  }
  if (groups_set_ && sys_setgroups(prev_groups_.size(), prev_groups_.data()) < 0) {
    return std::unexpected(Error::sys("setgroups", "previous groups"));
  }
  groups_set_ = fsgid_set_ = fsuid_set_ = false;
  return {};
}

// ---- process drop (async-signal-safe from here on) ----

namespace {

DropResult fail(DropStep step, int errnum) noexcept { return DropResult{step, errnum}; }

DropResult clear_capabilities() noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) < 0) return fail(DropStep::kClearCaps, errno);
  __user_cap_data_struct check[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, check) < 0) return fail(DropStep::kClearCaps, errno);
  for (const auto& word : check) {
    if (word.effective != 0 || word.permitted != 0 || word.inheritable != 0) {
      return fail(DropStep::kClearCaps, EPERM);
    }
  }
  return {};
}

DropResult check_result(uid_t uid, gid_t gid) noexcept {
  // Both must fail: a worker that could become root again has not dropped.
  if (::syscall(SYS_setuid, 0) == 0) return fail(DropStep::kCheckNoRoot, 0);
  if (::syscall(SYS_setgid, 0) == 0) return fail(DropStep::kCheckNoRoot, 0);
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (::syscall(SYS_getresuid, &ruid, &euid, &suid) < 0) return fail(DropStep::kCheckIds, errno);
  if (::syscall(SYS_getresgid, &rgid, &egid, &sgid) < 0) return fail(DropStep::kCheckIds, errno);
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
    return fail(DropStep::kCheckIds, 0);
  }
  return {};
}

}  // namespace

DropResult drop_privileges(uid_t uid, gid_t gid, const gid_t* groups, std::size_t group_count) noexcept {
  if (sys_setgroups(group_count, groups) < 0) return fail(DropStep::kSetGroups, errno);
  if (::syscall(SYS_setresgid, gid, gid, gid) < 0) return fail(DropStep::kSetGid, errno);
  if (::syscall(SYS_setresuid, uid, uid, uid) < 0) return fail(DropStep::kSetUid, errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail(DropStep::kNoNewPrivs, errno);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return fail(DropStep::kClearAmbient, errno);
  if (auto r = clear_capabilities(); !r.ok()) return r;
  return check_result(uid, gid);
}

const char* drop_step_name(DropStep step) noexcept {
  switch (step) {
    case DropStep::kNone:
      return "drop privileges";
    case DropStep::kSetGroups:
      return "setgroups";
    case DropStep::kSetGid:
      return "setresgid";
    case DropStep::kSetUid:
      return "setresuid";
    case DropStep::kNoNewPrivs:
      return "prctl(PR_SET_NO_NEW_PRIVS)";
    case DropStep::kClearAmbient:
      return "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
    case DropStep::kClearCaps:
      return "capset";
    case DropStep::kCheckNoRoot:
      return "check that root cannot be regained";
    case DropStep::kCheckIds:
      return "check uid/gid";
  }
  return "drop privileges";
}

Error drop_error(const DropResult& result, const std::string& account) {
  Error error = Error::sys(drop_step_name(result.step), account, result.errnum);
  if (result.errnum == 0 && !result.ok()) error.detail = "the worker kept privileges it must not have";
  return error;
}

}  // namespace gatehouse::accounts

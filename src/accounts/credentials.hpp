// Switching credentials so the kernel makes every access decision: per thread
// for file opens (fsuid/fsgid/groups), and for good in a forked worker child.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "accounts/identity.hpp"
#include "common/error.hpp"

namespace gatehouse::accounts {

// RAII guard: while it lives, the calling THREAD opens files as the given
// account (fsuid, fsgid, supplementary groups set with raw syscalls, which act
// on the calling thread only; other threads keep their credentials). The
// destructor restores the previous ones; a restore that fails aborts the
// process, since a thread left with the wrong credentials is a security hole.
// Needs CAP_SETUID and CAP_SETGID (root). Must be destroyed on the thread that
// created it (moving it is allowed only within that thread). A thread started
// while a guard is active inherits its credentials (clone(2) copies them):
// start worker threads before, never under, a guard.
class ThreadCredentials {
 public:
  static Result<ThreadCredentials> assume(const Identity& identity);
  static Result<ThreadCredentials> assume(uid_t uid, gid_t gid, std::span<const gid_t> groups);

  ThreadCredentials(ThreadCredentials&& other) noexcept;
  ThreadCredentials& operator=(ThreadCredentials&&) = delete;
  ThreadCredentials(const ThreadCredentials&) = delete;
  ThreadCredentials& operator=(const ThreadCredentials&) = delete;
  ~ThreadCredentials();

 private:
  ThreadCredentials() = default;
  Status restore();

  uid_t prev_fsuid_ = 0;
  gid_t prev_fsgid_ = 0;
  std::vector<gid_t> prev_groups_;
  pid_t tid_ = 0;
  bool groups_set_ = false;
  bool fsgid_set_ = false;
  bool fsuid_set_ = false;
};

// The calling thread's current fsuid and fsgid (from the kernel).
uid_t current_fsuid() noexcept;
gid_t current_fsgid() noexcept;

// The steps of drop_privileges, in the order they run.
enum class DropStep : int {
  kNone = 0,      // all done, privileges dropped
  kSetGroups,     // setgroups(groups)
  kSetGid,        // setresgid(gid, gid, gid)
  kSetUid,        // setresuid(uid, uid, uid)
  kNoNewPrivs,    // prctl(PR_SET_NO_NEW_PRIVS, 1)
  kClearAmbient,  // prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
  kClearCaps,     // capset to empty sets, then capget shows them empty
  kCheckNoRoot,   // setuid(0) / setgid(0) must fail
  kCheckIds,      // real, effective and saved uid/gid are the target
};

// What drop_privileges reports: the step that failed and its errno. Plain
// data, so a child can write it to a pipe as it is.
struct DropResult {
  DropStep step = DropStep::kNone;
  int errnum = 0;
  bool ok() const noexcept { return step == DropStep::kNone; }
};
static_assert(std::is_trivially_copyable_v<DropResult>);

// For a forked child before exec: async-signal-safe, no allocation, no
// exceptions. Drops to uid/gid with exactly `groups` as supplementary groups
// in the fixed order of DropStep, then checks root cannot be regained.
// On failure the caller must _exit (credentials may be half dropped).
DropResult drop_privileges(uid_t uid, gid_t gid, const gid_t* groups, std::size_t group_count) noexcept;

// "setresuid", "no_new_privs", ... for messages.
const char* drop_step_name(DropStep step) noexcept;

// The parent's view of a child's failure: op = the step, target = the account.
Error drop_error(const DropResult& result, const std::string& account);

}  // namespace gatehouse::accounts

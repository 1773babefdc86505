// The front's sandbox (issue 9): one call that turns the calling process into
// the unprivileged, confined process that faces the network.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::sandbox {

struct FrontSandboxSpec {
  uid_t uid = 0;  // the front's own account (gh-front); 0 is refused
  gid_t gid = 0;
  std::vector<gid_t> groups;  // its supplementary groups (may be empty)
  std::vector<Path> read;     // served physical roots and virtual directories
  std::vector<Path> write;    // the log folder and the socket folder
};

// What confine_front leaves in place, for `gatehouse check` and the report.
struct FrontSandboxFacts {
  int landlock_abi = 0;
  std::size_t allowed_syscalls = 0;  // rules of the allow-list filter
  std::vector<std::string> skipped;  // spec paths that did not exist
};

// Applies, in this order, to the calling process, which must be root and
// single-threaded (capabilities, Landlock and the uid change are per thread
// in the kernel, so a thread started before would escape them):
//  1. securebits NOROOT | NO_SETUID_FIXUP | KEEP_CAPS off | NO_CAP_AMBIENT_RAISE, each locked;
//  2. the bounding set cut to CAP_SETUID and CAP_SETGID, ambient set cleared;
//  3. setgroups / setresgid / setresuid to the front's account;
//  4. permitted = effective = {CAP_SETUID, CAP_SETGID}, inheritable empty;
//  5. NoNewPrivs and Landlock (highest ABI): read on `read`, read-write on `write`,
//     nothing else; TCP bind denied (ABI >= 4), signals scoped (ABI >= 6);
//  6. two seccomp filters (front_seccomp.cpp): the allow-list, and the refusal of
//     any set*id call to uid or gid 0.
// On error the process is half confined: the caller must exit.
Result<FrontSandboxFacts> confine_front(const FrontSandboxSpec& spec);

// The Landlock rules of the front, for listings ("    r--  /srv/a  (served root)").
Spec front_landlock_spec(const FrontSandboxSpec& spec);

// Installs the two seccomp filters on the calling thread (and, with TSYNC, on
// every thread). Returns the number of rules of the allow-list.
Result<std::size_t> load_front_seccomp();

// The system calls the front may make, one name per entry, for documentation
// and the tests (the allow-list without its argument conditions).
std::vector<std::string> front_syscall_names();

}  // namespace gatehouse::sandbox

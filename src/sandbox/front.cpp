// confine_front: securebits, bounding set, account, capabilities, Landlock,
// seccomp, in the one order in which each step still has the rights it needs.
#include "sandbox/front.hpp"

#include <grp.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sandbox/landlock.hpp"

namespace gatehouse::sandbox {
namespace {

constexpr cap_value_t kKept[] = {CAP_SETUID, CAP_SETGID};

bool single_threaded() {
  std::error_code ec;
  auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
  if (ec) return false;
  return std::distance(it, std::filesystem::directory_iterator{}) == 1;
}

Status set_securebits() {
  // NOROOT: uid 0 gets no capabilities from exec; NO_SETUID_FIXUP: changing ids
  // neither drops nor raises capabilities; KEEP_CAPS stays off. All locked, so
  // not even this process (it still has CAP_SETPCAP here) can undo them later.
  const unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                        SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (cap_set_secbits(bits) != 0) return std::unexpected(Error::sys("set securebits", "front"));
  return {};
}

bool kept(cap_value_t cap) { return cap == CAP_SETUID || cap == CAP_SETGID; }

Status cut_bounding_set() {
  for (cap_value_t cap = 0; cap < static_cast<cap_value_t>(cap_max_bits()); ++cap)
    if (!kept(cap) && cap_drop_bound(cap) != 0)
      return std::unexpected(Error::sys("drop bounding capability", cap_to_name(cap)));
  if (cap_reset_ambient() != 0) return std::unexpected(Error::sys("clear ambient capabilities", "front"));
  return {};
}

Status become_account(const FrontSandboxSpec& spec) {
  if (::setgroups(spec.groups.size(), spec.groups.data()) != 0)
    return std::unexpected(Error::sys("setgroups", std::to_string(spec.uid)));
  if (::setresgid(spec.gid, spec.gid, spec.gid) != 0)
    return std::unexpected(Error::sys("setresgid", std::to_string(spec.gid)));
  if (::setresuid(spec.uid, spec.uid, spec.uid) != 0)
    return std::unexpected(Error::sys("setresuid", std::to_string(spec.uid)));
  return {};
}

Status keep_only_setid_caps() {
  cap_t caps = cap_init();  // all sets empty
  if (!caps) return std::unexpected(Error::sys("cap_init", "front"));
  bool ok = cap_set_flag(caps, CAP_PERMITTED, 2, kKept, CAP_SET) == 0 &&
            cap_set_flag(caps, CAP_EFFECTIVE, 2, kKept, CAP_SET) == 0 && cap_set_proc(caps) == 0;
  int saved = errno;
  cap_free(caps);
  if (!ok) return std::unexpected(Error::sys("cap_set_proc", "CAP_SETUID,CAP_SETGID", saved));
  return {};
}

}  // namespace

Spec front_landlock_spec(const FrontSandboxSpec& spec) {
  Spec out;
  for (const auto& p : spec.read) out.add(p, Access::kRead, "served root");
  for (const auto& p : spec.write) out.add(p, Access::kRead | Access::kWrite, "log or socket folder");
  return out;
}

Result<FrontSandboxFacts> confine_front(const FrontSandboxSpec& spec) {
  if (spec.uid == 0 || spec.gid == 0)
    return std::unexpected(
        Error::logic("confine front", "uid " + std::to_string(spec.uid), "the front never runs as root"));
  if (!single_threaded())
    return std::unexpected(Error::logic("confine front", "this process", "must be called before any thread starts"));
  FrontSandboxFacts facts;
  facts.landlock_abi = landlock_abi();
  if (facts.landlock_abi == 0)
    return std::unexpected(
        Error::logic("confine front", "Landlock", "the kernel offers no Landlock: refusing to run unconfined"));
  // Built as root: the rule paths are opened now, whatever their owner.
  auto ruleset = Ruleset::build(front_landlock_spec(spec));
  if (!ruleset) return std::unexpected(ruleset.error());
  facts.skipped = ruleset->skipped();
  for (auto step : {set_securebits, cut_bounding_set})
    if (auto s = step(); !s) return std::unexpected(s.error());
  if (auto s = become_account(spec); !s) return std::unexpected(s.error());
  if (auto s = keep_only_setid_caps(); !s) return std::unexpected(s.error());
  if (int err = restrict_self(ruleset->fd()); err != 0)
    return std::unexpected(Error::sys("landlock_restrict_self", "front", err));
  auto rules = load_front_seccomp();
  if (!rules) return std::unexpected(rules.error());
  facts.allowed_syscalls = *rules;
  return facts;
}

}  // namespace gatehouse::sandbox

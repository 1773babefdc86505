// Landlock through raw syscalls: the parent turns a Spec into a ruleset fd
// (opening every path itself), the forked child only calls restrict_self.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::sandbox {

// The Landlock ABI version the running kernel offers; 0 when it offers none
// (kernel too old, or Landlock not in the LSM list).
int landlock_abi() noexcept;

// A Landlock ruleset ready for restrict_self. Owns its fd (close-on-exec).
class Ruleset {
 public:
  Ruleset() = default;
  Ruleset(Ruleset&& other) noexcept;
  Ruleset& operator=(Ruleset&& other) noexcept;
  Ruleset(const Ruleset&) = delete;
  Ruleset& operator=(const Ruleset&) = delete;
  ~Ruleset();

  int fd() const { return fd_; }  // -1: nothing to enforce (sandbox off, or no Landlock)
  int abi() const { return abi_; }
  // Rule paths that do not exist (yet), so the worker cannot reach them either.
  const std::vector<std::string>& skipped() const { return skipped_; }

  // Every right the ABI knows is handled: what no rule grants is denied.
  // ABI >= 4 also denies binding TCP ports (TCP connect stays allowed: a
  // database over TCP must work); ABI >= 6 scopes signals and abstract unix
  // sockets to the worker's own domain. ptrace is always scoped by Landlock.
  static Result<Ruleset> build(const Spec& spec);

 private:
  int fd_ = -1;
  int abi_ = 0;
  std::vector<std::string> skipped_;
};

// For a forked child: sets no_new_privs and enters the ruleset. Each call makes
// a new Landlock domain, so no two workers share one (none can ptrace, signal
// or open /proc/<pid>/mem of another). Async-signal-safe; returns 0 or errno.
// A negative fd does nothing.
int restrict_self(int ruleset_fd) noexcept;

}  // namespace gatehouse::sandbox

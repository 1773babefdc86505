// Starts a worker set's php-cgi (the parent that forks its children, see
// php_parent.hpp) in FastCGI mode: a private listening unix socket on fd 0,
// /dev/null on fds 1 and 2, a cleared environment, the pool's umask, its
// cgroups, its Landlock sandbox and (when asked) the pool's account. Knows
// nothing about requests or slots: see worker_pool.hpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "accounts/identity.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::pool {

// Everything the child needs, prepared before fork (the child may not allocate).
struct SpawnSpec {
  std::string pool;  // for messages: "[pool shop]"
  std::filesystem::path php_cgi = "/usr/bin/php-cgi";
  std::filesystem::path php_ini;  // empty: php-cgi's own default
  unsigned umask = 007;
  std::vector<std::string> environment;  // "NAME=value", the whole environment
  // php.ini settings forced on php-cgi's command line ("-d name=value"):
  // fixed per pool, never from a request.
  std::vector<std::string> php_defines;
  accounts::Identity credentials;  // default: the server's own account
  // The Landlock rules; empty: no Landlock. The ruleset is built from them
  // (paths opened) before every fork, so folders made later are covered.
  std::optional<sandbox::Spec> sandbox;
  // cgroup.procs fds of the pool's cgroups (owned by the PoolSet, which
  // outlives its workers); the child joins them before dropping root.
  std::vector<int> cgroup_procs;
};

// The -d settings every worker gets: OPcache checks that the script is
// readable by the worker's own account and keys its cache by chroot, so a
// cached script never crosses identities. With a private folder of the
// worker set (see PoolSet), OPcache's lock file and sys_temp_dir go there.
std::vector<std::string> worker_php_defines(const config::Pool& pool, const std::filesystem::path& private_dir);

// PHP_FCGI_CHILDREN for a set of `max_instances`: one child more than
// Gatehouse ever connects, so a child is always waiting in accept() (forked
// ahead, warm) when an instance is recycled.
unsigned children_for(unsigned max_instances);

// The environment of a pool's php-cgi parent: only the pool's `environment`
// pairs, then PHP_FCGI_CHILDREN=children_for(max_instances) and
// PHP_FCGI_MAX_REQUESTS=0: Gatehouse counts each child's requests and stops
// it at instance_max_requests; php-cgi never ends a child by itself.
std::vector<std::string> worker_environment(const config::FastCgi& fastcgi);

// A SpawnSpec from a pool's configuration and the account it runs as.
SpawnSpec make_spawn_spec(const config::Pool& pool, accounts::Identity credentials);

// Creates `dir` (mode 0700) when missing; refuses one that is a symlink, is
// not a directory, is not owned by the effective uid, or lets anyone else in.
Status ensure_socket_dir(const std::filesystem::path& dir);

// A started child. `status_pipe` gives EOF once execve succeeded, or a
// ChildReport when a step in the child failed; `pidfd` becomes readable when
// the child exits (reap it with waitpid(pid)).
struct SpawnedWorker {
  pid_t pid = -1;
  UniqueFd connection;   // connected to the worker's socket, CLOEXEC, blocking
  UniqueFd status_pipe;  // read end, CLOEXEC
  UniqueFd pidfd;
  std::filesystem::path socket_path;
};

// What the child writes to the status pipe when a step fails before execve.
struct ChildReport {
  std::int32_t step = 0;  // a ChildStep
  std::int32_t errnum = 0;
  std::int32_t drop_step = 0;  // an accounts::DropStep when step is DropPrivileges
};

enum class ChildStep : std::int32_t {
  Dup = 1,
  Chdir,
  Setsid,
  DropPrivileges,
  ParentDeathSignal,
  Exec,
  JoinCgroup,
  Landlock,
};

const char* child_step_name(std::int32_t step);

// The error a ChildReport stands for: "[pool shop] setuid 999 failed: ...".
Error child_report_error(const SpawnSpec& spec, const ChildReport& report);

// Binds and listens on `socket_path` (replacing a stale one), connects to it,
// forks and execs php-cgi. Returns once the child exists; does not wait for
// exec (read status_pipe for that). Fails only on parent-side syscalls.
Result<SpawnedWorker> spawn_worker(const SpawnSpec& spec, const std::filesystem::path& socket_path);

}  // namespace gatehouse::pool

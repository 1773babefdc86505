// One cgroup per pool for IIS's per-pool limits (memory, process count, CPU),
// on cgroup v2 (unified) or on the v1 controllers, whichever the host mounts.
// The parent creates the groups and opens their cgroup.procs; a forked child
// joins them by writing "0" to those fds, before it drops root.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::sandbox {

enum class CgroupMode { None, V1, V2 };

// Where the server's own groups are: for v2 one folder, for v1 one per
// controller (memory, pids, cpu) that is mounted.
struct CgroupHost {
  CgroupMode mode = CgroupMode::None;
  std::filesystem::path v2;                                       // the server's group in the unified hierarchy
  std::vector<std::pair<std::string, std::filesystem::path>> v1;  // controller -> the server's group in it
  std::vector<std::string> missing;                               // controllers asked for but not available
};

// Reads /proc/self/mountinfo and /proc/self/cgroup. A unified hierarchy at
// /sys/fs/cgroup is v2; otherwise the v1 controllers that are mounted (a
// controller-less hybrid v2 mount is ignored).
CgroupHost detect_cgroups();
std::string_view to_string(CgroupMode mode);

// What a pool's group enforces, from its configuration.
struct CgroupLimits {
  std::uint64_t memory_bytes = 0;  // 0: none
  std::uint64_t max_processes = 0;
  unsigned cpu_percent = 0;  // of the whole machine; 0: none
};
CgroupLimits limits_of(const config::Pool& pool);

// The groups of one pool (one per v1 controller, or one v2 group), with the
// limits written. Removes them when destroyed (once the workers are gone).
class PoolCgroup {
 public:
  // `instance` keeps two servers on one host apart: "gatehouse-<pid>".
  static Result<std::unique_ptr<PoolCgroup>> create(const CgroupHost& host, const std::string& instance,
                                                    const std::string& pool, const CgroupLimits& limits);
  PoolCgroup(const PoolCgroup&) = delete;
  PoolCgroup& operator=(const PoolCgroup&) = delete;
  ~PoolCgroup();

  // The open cgroup.procs files a child writes itself into.
  std::span<const int> procs_fds() const { return procs_; }
  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

 private:
  PoolCgroup() = default;
  std::vector<std::filesystem::path> dirs_;  // leaf first, then the instance folders to remove
  std::vector<int> procs_;
  std::size_t leaves_ = 0;
};

// For a forked child: joins every group (writes "0" to each fd). Async-signal-
// safe; returns 0 or the errno of the first failure.
int join_cgroups(const int* procs_fds, std::size_t count) noexcept;

// "memory 256M, processes 96, cpu 50%" for `check`.
std::string describe(const CgroupLimits& limits);

}  // namespace gatehouse::sandbox

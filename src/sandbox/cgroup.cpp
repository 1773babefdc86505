// Cgroup detection, per-pool groups and their limits (v1 and v2 file names).
#include "sandbox/cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace gatehouse::sandbox {
namespace {

namespace fs = std::filesystem;
constexpr std::array kControllers = {"memory", "pids", "cpu"};
constexpr std::uint64_t kCpuPeriodUs = 100'000;

// mountinfo fields: ... mount-point ... " - " fstype source super-options.
struct Mount {
  fs::path point;
  std::string type;
  std::string options;
};

std::vector<Mount> cgroup_mounts() {
  std::vector<Mount> out;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, rest, token;
    f >> id >> parent >> dev >> root >> point;
    while (f >> token && token != "-") {
    }
    std::string type, source, options;
    f >> type >> source >> options;
    if (type == "cgroup" || type == "cgroup2") out.push_back({point, type, options});
  }
  return out;
}

// hierarchy id -> the server's path in it, from /proc/self/cgroup.
std::vector<std::pair<std::string, std::string>> own_groups() {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    out.emplace_back(line.substr(a + 1, b - a - 1), line.substr(b + 1));
  }
  return out;
}

bool has_option(const std::string& options, std::string_view name, char sep = ',') {
  std::istringstream s(options);
  for (std::string o; std::getline(s, o, sep);)
    if (o == name) return true;
  return false;
}

fs::path under(const fs::path& mount, const std::string& group) { return mount / fs::path(group).relative_path(); }

Status write_file(const fs::path& file, const std::string& value) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(Error::sys("open", file));
  ssize_t n = ::write(fd, value.data(), value.size());
  int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) return std::unexpected(Error::sys("write " + value, file, saved));
  return {};
}

Status make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) return std::unexpected(Error::sys("mkdir", dir));
  return {};
}

// v2: controllers are enabled top-down; a group with processes cannot hand
// them to children ("no internal processes"), so the server moves into a leaf of its own.
Status enable_v2(const fs::path& own, const fs::path& instance) {
  const std::string controllers = "+memory +pids +cpu";
  if (auto ok = write_file(own / "cgroup.subtree_control", controllers); !ok && ok.error().errnum == EBUSY) {
    if (auto made = make_dir(own / "gatehouse-server"); !made) return made;
    if (auto moved = write_file(own / "gatehouse-server" / "cgroup.procs", "0"); !moved) return moved;
    if (auto again = write_file(own / "cgroup.subtree_control", controllers); !again) return again;
  } else if (!ok) {
    return ok;
  }
  return write_file(instance / "cgroup.subtree_control", controllers);
}

Status write_limits_v1(const std::string& controller, const fs::path& dir, const CgroupLimits& l) {
  if (controller == "memory" && l.memory_bytes != 0) {
    if (auto ok = write_file(dir / "memory.limit_in_bytes", std::to_string(l.memory_bytes)); !ok) return ok;
    if (fs::exists(dir / "memory.memsw.limit_in_bytes"))  // swap must not stretch the limit
      (void)write_file(dir / "memory.memsw.limit_in_bytes", std::to_string(l.memory_bytes));
  }
  if (controller == "pids" && l.max_processes != 0)
    return write_file(dir / "pids.max", std::to_string(l.max_processes));
  if (controller == "cpu" && l.cpu_percent != 0) {
    const std::uint64_t quota = kCpuPeriodUs * l.cpu_percent * std::max(1u, std::thread::hardware_concurrency()) / 100;
    if (auto ok = write_file(dir / "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !ok) return ok;
    return write_file(dir / "cpu.cfs_quota_us", std::to_string(quota));
  }
  return {};
}

Status write_limits_v2(const fs::path& dir, const CgroupLimits& l) {
  if (l.memory_bytes != 0) {
    if (auto ok = write_file(dir / "memory.max", std::to_string(l.memory_bytes)); !ok) return ok;
    (void)write_file(dir / "memory.swap.max", "0");  // absent without swap accounting
  }
  if (l.max_processes != 0)
    if (auto ok = write_file(dir / "pids.max", std::to_string(l.max_processes)); !ok) return ok;
  if (l.cpu_percent != 0) {
    const std::uint64_t quota = kCpuPeriodUs * l.cpu_percent * std::max(1u, std::thread::hardware_concurrency()) / 100;
    return write_file(dir / "cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUs));
  }
  return {};
}

}  // namespace

CgroupHost detect_cgroups() {
  CgroupHost host;
  const auto mounts = cgroup_mounts();
  const auto own = own_groups();
  for (const auto& m : mounts) {
    if (m.type != "cgroup2" || m.point != "/sys/fs/cgroup") continue;
    for (const auto& [id, path] : own)
      if (id.empty()) host.v2 = under(m.point, path);
    host.mode = CgroupMode::V2;
    std::ifstream in(host.v2 / "cgroup.controllers");
    std::string available;
    std::getline(in, available);
    for (const char* c : kControllers)
      if (!has_option(available, c, ' ')) host.missing.push_back(c);
    return host;
  }
  for (const char* c : kControllers) {
    bool found = false;
    for (const auto& m : mounts) {
      if (m.type != "cgroup" || !has_option(m.options, c)) continue;
      for (const auto& [id, path] : own)
        if (has_option(id, c)) {
          host.v1.emplace_back(c, under(m.point, path));
          found = true;
        }
      break;
    }
    if (!found) host.missing.push_back(c);
  }
  if (!host.v1.empty()) host.mode = CgroupMode::V1;
  return host;
}

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::None:
      return "none";
    case CgroupMode::V1:
      return "cgroup v1";
    case CgroupMode::V2:
      return "cgroup v2";
  }
  return "?";
}

CgroupLimits limits_of(const config::Pool& pool) {
  return CgroupLimits{pool.limits.memory_bytes, pool.limits.effective_max_processes(pool.fastcgi.max_instances),
                      pool.limits.cpu_percent};
}

Result<std::unique_ptr<PoolCgroup>> PoolCgroup::create(const CgroupHost& host, const std::string& instance,
                                                       const std::string& pool, const CgroupLimits& limits) {
  std::unique_ptr<PoolCgroup> group(new PoolCgroup);
  auto add = [&](const fs::path& base, const std::function<Status(const fs::path&)>& limit) -> Status {
    const fs::path top = base / instance, leaf = top / pool;
    if (auto ok = make_dir(top); !ok) return ok;
    if (auto ok = make_dir(leaf); !ok) return ok;
    group->dirs_.insert(group->dirs_.begin() + static_cast<long>(group->leaves_++), leaf);
    group->dirs_.push_back(top);
    if (auto ok = limit(leaf); !ok) return ok;
    int fd = ::open((leaf / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(Error::sys("open", leaf / "cgroup.procs"));
    group->procs_.push_back(fd);
    return {};
  };
  if (host.mode == CgroupMode::V2) {
    auto ok = add(host.v2, [&](const fs::path& leaf) {
      if (auto on = enable_v2(host.v2, host.v2 / instance); !on) return on;
      return write_limits_v2(leaf, limits);
    });
    if (!ok) return std::unexpected(ok.error());
  }
  for (const auto& [controller, base] : host.v1) {
    auto ok = add(base, [&](const fs::path& leaf) { return write_limits_v1(controller, leaf, limits); });
    if (!ok) return std::unexpected(ok.error());
  }
  return group;
}

PoolCgroup::~PoolCgroup() {
  for (int fd : procs_) ::close(fd);
  // Leaves first; an instance folder still holding another pool stays (EBUSY).
  for (const auto& dir : dirs_) ::rmdir(dir.c_str());
}

int join_cgroups(const int* procs_fds, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i)
    if (::write(procs_fds[i], "0", 1) != 1) return errno;
  return 0;
}

std::string describe(const CgroupLimits& l) {
  auto size = [](std::uint64_t b) {
    if (b % (1ULL << 30) == 0) return std::to_string(b >> 30) + "G";
    if (b % (1ULL << 20) == 0) return std::to_string(b >> 20) + "M";
    return std::to_string(b) + " bytes";
  };
  std::string out = "memory " + (l.memory_bytes ? size(l.memory_bytes) : std::string("unlimited"));
  out += ", processes " + (l.max_processes ? std::to_string(l.max_processes) : std::string("unlimited"));
  out += ", cpu " + (l.cpu_percent ? std::to_string(l.cpu_percent) + "%" : std::string("unlimited"));
  return out;
}

}  // namespace gatehouse::sandbox

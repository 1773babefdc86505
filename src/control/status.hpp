// The JSON of `gatehouse status`: per pool and worker set, the instances
// (pid, state, requests served, age, RSS from /proc) and the queue.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "pool/pool_set.hpp"

namespace gatehouse::control {

// How a worker's resident size is read: rss_kib here, or asked of the
// supervisor by a sandboxed front that cannot read /proc (issue 9).
using RssReader = std::function<std::optional<std::uint64_t>(pid_t)>;

nlohmann::json status_json(const std::vector<pool::PoolReport>& pools, const RssReader& rss = {});

// Resident set size of `pid` in KiB (/proc/PID/statm), nullopt when gone.
std::optional<std::uint64_t> rss_kib(pid_t pid);

}  // namespace gatehouse::control

// Builds the status document from the pool snapshots.
#include "control/status.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace gatehouse::control {

std::optional<std::uint64_t> rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return std::nullopt;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

namespace {

nlohmann::json set_json(const std::string& account, const pool::PoolStats& s, const RssReader& rss_of) {
  auto instances = nlohmann::json::array();
  for (const auto& i : s.instances) {
    auto rss = rss_of ? rss_of(i.pid) : rss_kib(i.pid);
    instances.push_back({{"pid", i.pid},
                         {"account", account},
                         {"state", i.state},
                         {"requests", i.served},
                         {"age_seconds", std::chrono::duration_cast<std::chrono::seconds>(i.age).count()},
                         {"rss_kib", rss ? nlohmann::json(*rss) : nlohmann::json(nullptr)}});
  }
  return {{"account", account},     {"queue", s.queued},    {"starting", s.starting},
          {"idle", s.idle},         {"busy", s.busy},       {"retiring", s.retiring},
          {"requests", s.served},   {"spawned", s.spawned}, {"recycles", s.recycles},
          {"failures", s.failures}, {"offline", s.offline}, {"instances", std::move(instances)}};
}

}  // namespace

nlohmann::json status_json(const std::vector<pool::PoolReport>& pools, const RssReader& rss) {
  auto out = nlohmann::json::array();
  for (const auto& p : pools) {
    auto sets = nlohmann::json::array();
    for (const auto& [account, stats] : p.sets) sets.push_back(set_json(account, stats, rss));
    out.push_back({{"name", p.name}, {"worker_sets", std::move(sets)}});
  }
  return out;
}

}  // namespace gatehouse::control

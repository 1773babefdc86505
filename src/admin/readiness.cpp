// A pool is offline while rapid-fail protection holds any of its worker sets
// (that set answers 503 to every request); a drain is the operator's word.
#include "admin/readiness.hpp"

#include <fmt/format.h>

namespace gatehouse::admin {

std::vector<std::string> not_ready(const Sample& sample, bool draining) {
  std::vector<std::string> out;
  if (draining) out.emplace_back("draining: `gatehouse drain` was called (new requests belong to other nodes)");
  for (const auto& pool : sample.pools)
    for (const auto& [account, st] : pool.sets)
      if (st.offline)
        out.push_back(fmt::format(
            "pool {} (as {}): offline, rapid-fail protection ({} worker failures in the last minute); it answers 503",
            pool.name, account, st.recent_failures));
  return out;
}

}  // namespace gatehouse::admin

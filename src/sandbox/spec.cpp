// Spec: merging rules and describing them.
#include "sandbox/spec.hpp"

#include <algorithm>

namespace gatehouse::sandbox {

void Spec::add(Path path, std::uint8_t access, std::string reason) {
  auto same = std::find_if(rules.begin(), rules.end(), [&](const PathRule& r) { return r.path == path; });
  if (same == rules.end()) {
    rules.push_back(PathRule{std::move(path), access, std::move(reason)});
    return;
  }
  same->access |= access;
  if (same->reason.find(reason) == std::string::npos) same->reason += "; " + reason;
}

std::string access_text(std::uint8_t access) {
  std::string out;
  auto add = [&](std::uint8_t bit, const char* name) {
    if (!(access & bit)) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(Access::kRead, "read");
  add(Access::kWrite, "write");
  add(Access::kExecute, "execute");
  return out.empty() ? "none" : out;
}

std::string describe(const Spec& spec, std::string_view indent) {
  if (!spec.enabled) return std::string(indent) + "sandbox off ([pools.sandbox] enabled = false)\n";
  std::vector<const PathRule*> sorted;
  for (const auto& r : spec.rules) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->path < b->path; });
  std::string out;
  for (const auto* r : sorted) {
    std::string rights = {(r->access & Access::kRead) ? 'r' : '-', (r->access & Access::kWrite) ? 'w' : '-',
                          (r->access & Access::kExecute) ? 'x' : '-'};
    out += std::string(indent) + rights + "  " + r->path.string() + "  (" + r->reason + ")\n";
  }
  out += std::string(indent) + "everything else: denied (Landlock)\n";
  return out;
}

}  // namespace gatehouse::sandbox

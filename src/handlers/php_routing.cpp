// PhpRouting: per-thread caches in front of the pool set; see php_routing.hpp.
#include "handlers/php_routing.hpp"

#include <algorithm>

namespace gatehouse::handlers {

Result<pool::WorkerPool*> PhpRouting::workers(const accounts::WorkerKey& key) {
  if (auto it = workers_.find(key); it != workers_.end()) return it->second;
  auto set = pools_.get(key);
  if (!set) return std::unexpected(set.error());
  workers_.emplace(key, *set);
  return *set;
}

Result<const accounts::RequestIdentities*> PhpRouting::anonymous(const config::Site& site,
                                                                 const config::Application& app) {
  if (auto it = anonymous_.find(&app); it != anonymous_.end()) return &it->second;
  auto ids = accounts::resolve_request_identities(config_, site, app, std::nullopt);
  if (!ids) return std::unexpected(ids.error());
  return &anonymous_.emplace(&app, std::move(*ids)).first->second;
}

std::string_view PhpRouting::script_key(const RootDir& root, std::string_view relative, const accounts::Identity& who) {
  key_.assign(root.path().string());
  key_.push_back('\0');
  who.append_cache_key(key_);
  key_.push_back('\0');
  key_.append(relative);
  return key_;
}

bool PhpRouting::script_found_recently(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                                       SteadyTime now) {
  auto it = scripts_.find(script_key(root, relative, who));
  if (it == scripts_.end()) return false;
  if (now - it->second < kScriptMemory) return true;
  scripts_.erase(it);
  return false;
}

void PhpRouting::remember_script(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                                 SteadyTime now) {
  // Bounded: a crawl over many scripts must not grow this without end.
  if (scripts_.size() >= 1024) std::erase_if(scripts_, [&](const auto& e) { return now - e.second >= kScriptMemory; });
  if (scripts_.size() >= 1024) scripts_.clear();
  scripts_.insert_or_assign(std::string(script_key(root, relative, who)), now);
}

}  // namespace gatehouse::handlers

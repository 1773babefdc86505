// Small helpers of the configuration model.
#include "config/model.hpp"

namespace gatehouse::config {

std::string SourcePos::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Warning::str() const {
  std::string out = pos.str() + ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + message;
}

SourcePos Config::pos_of(const std::string& key, const SourcePos& fallback) const {
  auto it = positions.find(key);
  return it == positions.end() ? fallback : it->second;
}

const Pool* Config::find_pool(std::string_view name) const {
  for (const auto& pool : pools)
    if (pool.name == name) return &pool;
  return nullptr;
}

const Site* Config::find_site(std::string_view name) const {
  for (const auto& site : sites)
    if (site.name == name) return &site;
  return nullptr;
}

}  // namespace gatehouse::config

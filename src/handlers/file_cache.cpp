// Small-file cache: lookups build the key in a reused buffer, so a hit allocates nothing.
#include "handlers/file_cache.hpp"

#include <unistd.h>

namespace gatehouse::handlers {

std::string_view FileCache::key(const RootDir& root, std::string_view relative, const accounts::Identity& who) {
  scratch_.clear();
  auto add = [&](std::uint64_t v) { scratch_.append(reinterpret_cast<const char*>(&v), sizeof v); };
  add(static_cast<std::uint64_t>(root.fd()));
  who.append_cache_key(scratch_);
  scratch_.push_back('\0');  // the key's length follows from its first byte and group count
  scratch_.append(relative);
  return scratch_;
}

const CachedFile* FileCache::find(const RootDir& root, std::string_view relative, const accounts::Identity& who) {
  auto it = entries_.find(key(root, relative, who));
  return it == entries_.end() ? nullptr : &it->second;
}

const CachedFile* FileCache::insert(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                                    const OpenFile& file, std::string_view content_type) {
  const auto& st = file.stat();
  if (!file.is_regular() || static_cast<std::uint64_t>(st.st_size) > kMaxFileSize) return nullptr;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  CachedFile entry{make_validators(st), content_type, std::string(static_cast<std::size_t>(st.st_size), '\0')};
  auto n = ::pread(file.fd(), entry.content.data(), entry.content.size(), 0);
  if (n != static_cast<ssize_t>(entry.content.size())) return nullptr;  // changed while we read: do not cache
  auto [it, added] = entries_.insert_or_assign(std::string(key(root, relative, who)), std::move(entry));
  return &it->second;
}

}  // namespace gatehouse::handlers

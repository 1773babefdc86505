// A per-thread cache of small static files (bytes and validators), keyed by
// root, path and identity, emptied by the worker's tick (every 250 ms): a
// burst of requests for one file costs one open instead of one per request,
// and a change on disk is seen within a tick. Large files are never cached;
// they are opened per request and sent with sendfile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "handlers/static_file.hpp"

namespace gatehouse::handlers {

struct CachedFile {
  Validators validators;
  std::string_view content_type;  // points into the static MIME table
  std::string content;
};

class FileCache {
 public:
  static constexpr std::uint64_t kMaxFileSize = 16 * 1024;
  static constexpr std::size_t kMaxEntries = 1024;

  const CachedFile* find(const RootDir& root, std::string_view relative, const accounts::Identity& who);
  // Reads `file` (a small regular file just opened for this request) and keeps it; nullptr when too big or
  // unreadable.
  const CachedFile* insert(const RootDir& root, std::string_view relative, const accounts::Identity& who,
                           const OpenFile& file, std::string_view content_type);
  void clear() { entries_.clear(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string_view key(const RootDir& root, std::string_view relative, const accounts::Identity& who);
  std::unordered_map<std::string, CachedFile, Hash, std::equal_to<>> entries_;
  std::string scratch_;
};

}  // namespace gatehouse::handlers

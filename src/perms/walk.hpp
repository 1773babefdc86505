// Walks a tree without ever following a symlink: every step is an openat()
// with O_NOFOLLOW from a descriptor already held, so a link planted in the
// tree (or a renamed parent) cannot lead the walk outside it.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "perms/acl.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

// One file or folder met by the walk; `fd` is an O_PATH descriptor of it.
struct Node {
  const std::string& path;
  UniqueFd& fd;  // callers may take it (std::move) to act on the node later
  const struct stat& st;
};

enum class Depth { Self, SelfAndFiles, Tree };

// Callback returns an error to stop the walk.
using Visit = std::function<Status(Node&)>;

// Opens `path` (absolute) component by component; a symlink anywhere in it is
// an error (ELOOP), a missing component is ENOENT.
Result<UniqueFd> open_nofollow(const Path& path);

// A name in a folder and its d_type (DT_REG, DT_DIR, ... or DT_UNKNOWN).
struct DirEntry {
  std::string name;
  unsigned char type;
};

// The entries of the folder `dir_fd` refers to (O_PATH is enough), without "." and "..".
Result<std::vector<DirEntry>> list_entries(int dir_fd, const std::string& path);

// Visits `root` and, by `depth`, what lies below it (symlinks are skipped).
Status walk(const Path& root, Depth depth, const Visit& visit);

}  // namespace gatehouse::perms

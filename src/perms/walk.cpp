// The symlink-safe tree walk used by apply, restore and audit.
#include "perms/walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <vector>

namespace gatehouse::perms {
namespace {

struct DirClose {
  void operator()(DIR* d) const { closedir(d); }
};

// Regular files and folders are opened for reading so libacl can use the
// descriptor itself (fgetxattr/fsetxattr, no path lookup); anything else
// (devices, FIFOs, sockets, links, unknown) only as O_PATH, which opens nothing.
UniqueFd open_entry(int dir_fd, const std::string& name, unsigned char type) {
  constexpr int kFlags = O_NOFOLLOW | O_CLOEXEC;
  if (type == DT_REG) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME | kFlags));
    if (fd || (errno != EPERM && errno != EACCES)) return fd;
  } else if (type == DT_DIR) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | kFlags));
    if (fd || (errno != EPERM && errno != EACCES)) return fd;
  }
  return UniqueFd(openat(dir_fd, name.c_str(), O_PATH | kFlags));
}

Status visit_children(int dir_fd, const std::string& path, Depth depth, const Visit& visit) {
  auto names = list_entries(dir_fd, path);
  if (!names) return std::unexpected(names.error());
  const std::string prefix = path == "/" ? path : path + "/";
  for (const auto& [name, type] : *names) {
    UniqueFd fd = open_entry(dir_fd, name, type);
    if (!fd) {
      if (errno == ENOENT) continue;  // removed while we walk
      return std::unexpected(Error::sys("open", prefix + name));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return std::unexpected(Error::sys("stat", prefix + name));
    if (S_ISLNK(st.st_mode)) continue;  // never followed, and links carry no ACL on Linux
    if (S_ISDIR(st.st_mode) && depth != Depth::Tree) continue;
    const std::string child = prefix + name;
    // Our own descriptor to descend with: the visit may take the node's.
    UniqueFd below(S_ISDIR(st.st_mode) ? dup(fd.get()) : -1);
    Node node{child, fd, st};
    if (auto done = visit(node); !done) return done;
    if (below) {
      if (auto done = visit_children(below.get(), child, depth, visit); !done) return done;
    }
  }
  return {};
}

}  // namespace

Result<std::vector<DirEntry>> list_entries(int dir_fd, const std::string& path) {
  const int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(Error::sys("open folder", path));
  std::unique_ptr<DIR, DirClose> dir(fdopendir(fd));
  if (!dir) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(Error::sys("read folder", path, err));
  }
  std::vector<DirEntry> entries;
  errno = 0;
  while (const dirent* e = readdir(dir.get())) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") entries.push_back(DirEntry{std::string(name), e->d_type});
  }
  if (errno != 0) return std::unexpected(Error::sys("read folder", path));
  return entries;
}

Result<UniqueFd> open_nofollow(const Path& path) {
  if (!path.is_absolute()) return std::unexpected(Error::logic("open", path.string(), "not an absolute path"));
  UniqueFd fd(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return std::unexpected(Error::sys("open", "/"));
  for (const auto& part : path.relative_path()) {
    if (part.empty() || part == ".") continue;
    UniqueFd next(openat(fd.get(), part.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return std::unexpected(Error::sys("open", path.string()));
    struct stat st {};
    if (fstat(next.get(), &st) != 0) return std::unexpected(Error::sys("stat", path.string()));
    if (S_ISLNK(st.st_mode)) {
      return std::unexpected(Error::sys("open (a symlink is in the path)", path.string(), ELOOP));
    }
    fd = std::move(next);
  }
  return fd;
}

Status walk(const Path& root, Depth depth, const Visit& visit) {
  auto fd = open_nofollow(root);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return std::unexpected(Error::sys("stat", root.string()));
  const std::string path = root.string();
  UniqueFd dir(dup(fd->get()));
  Node node{path, *fd, st};
  if (auto done = visit(node); !done) return done;
  if (!S_ISDIR(st.st_mode) || depth == Depth::Self) return {};
  return visit_children(dir.get(), path, depth, visit);
}

}  // namespace gatehouse::perms

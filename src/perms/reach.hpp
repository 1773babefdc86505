// Whether an account can reach a path: traverse (x) on every folder from "/"
// down to its parent, by the same ACL check explain models. The audit uses it
// so open mode bits behind a closed folder count as what they are: nothing.
#pragma once

#include <sys/stat.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "perms/access.hpp"
#include "perms/acl.hpp"

namespace gatehouse::perms {

// An account that matches no owner, named entry or group: what "other" bits open to.
Who outsider();
// An account outside the plan whose only group is `gid`: what group bits open to.
Who outsider_in(gid_t gid);

// The accounts in group `gid`: its supplementary members and every account
// whose primary group it is; nullopt when the group database cannot be read.
std::optional<std::vector<uid_t>> group_members(gid_t gid);
// The group's name, or its number when it has none.
std::string group_name(gid_t gid);

class Reach {
 public:
  // Records a folder the walk met, so lookups below it need no system call.
  void remember(const std::string& dir, const struct stat& st, const AclSpec& acl);

  // Empty when `who` (named `key` for the cache) traverses every folder above
  // `path`; otherwise the first folder that stops it and the deciding entry.
  Result<std::optional<std::string>> blocked(const Who& who, const std::string& key, const std::string& path);

 private:
  struct Folder {
    struct stat st;
    AclSpec acl;
  };
  Result<const Folder*> folder(const std::string& dir);
  // Empty when `who` traverses `dir` and everything above it.
  Result<std::optional<std::string>> stops(const Who& who, const std::string& key, const std::string& dir);

  std::map<std::string, Folder> folders_;
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> memo_;  // (key, dir) -> blocker
};

}  // namespace gatehouse::perms

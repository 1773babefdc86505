// The ACLs the plan wants on one path, given what the path carries now: the
// single source of truth for apply (what to change) and audit (what differs).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "perms/acl.hpp"
#include "perms/plan.hpp"
#include "perms/walk.hpp"

namespace gatehouse::perms {

using AccountIds = std::map<std::string, uid_t>;

// Looks every account of the plan up; a missing one is an error naming it,
// unless `missing` is given: then it gets a placeholder id (kPlaceholderUid
// and up, which no account has) and its name is added to `missing` (dry runs
// before the accounts exist).
Result<AccountIds> resolve_accounts(const Plan& plan, std::vector<std::string>* missing = nullptr);
inline constexpr uid_t kPlaceholderUid = 0x7ffe0000;

struct Target {
  AclSpec access;
  std::optional<AclSpec> default_acl;  // meaningful when manage_default
  bool manage_default = false;         // false: the folder's default ACL is left as it is
};

class TargetModel {
 public:
  TargetModel(const Plan& plan, AccountIds ids);

  Target target(const std::string& path, const struct stat& st, const AclSpec& access,
                const std::optional<AclSpec>& default_acl) const;

  // The trees and single paths apply must visit, each once.
  std::vector<std::pair<Path, Depth>> roots() const;

  bool is_closed(const std::string& path) const;

 private:
  struct Entry {
    std::string path;
    uid_t uid;
    Rights rights;
    Scope scope;
    bool inherit;
  };
  bool covers(const Entry& e, const std::string& path, bool is_dir) const;
  bool inherits(const Entry& e, const std::string& dir) const;

  const Plan& plan_;
  std::vector<Entry> entries_;
  std::vector<std::string> closed_;
  std::vector<uid_t> plan_uids_;
};

// `path` is `root` or below it, on plain strings (the hot path of a walk).
bool within(std::string_view path, std::string_view root);

}  // namespace gatehouse::perms

// `gatehouse perms apply` and `restore`: make the file system match the plan
// (POSIX access and default ACLs), changing only what differs, with a backup
// journal written before any change; and put a backup back exactly.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

struct ApplyOptions {
  Path state_dir;  // backups go to <state_dir>/perms/backups/<id>/
  bool dry_run = false;
  // Test hook: called after each changed path (a test _exit()s in it to
  // simulate an apply killed half-way).
  std::function<void(std::size_t changed)> after_change;
};

struct PathChange {
  std::string path;
  std::string before;  // "access u::rwx,... default -"
  std::string after;
};

struct ApplyReport {
  std::size_t examined = 0;
  std::size_t changed = 0;
  std::string backup_id;                  // empty when nothing changed or on a dry run
  std::vector<PathChange> changes;        // filled on a dry run
  std::vector<std::string> created;       // per-pool folders the plan proposed, made by this apply
  std::vector<std::string> missing;       // plan paths that do not exist: skipped
  std::vector<std::string> to_create;     // dry run: accounts that do not exist yet (placeholder ids)
  std::map<std::string, uid_t> accounts;  // the plan's accounts and their ids (for messages)
};

Result<ApplyReport> apply(const Plan& plan, const ApplyOptions& options);

struct RestoreReport {
  std::string backup_id;
  std::size_t restored = 0;
  std::vector<std::string> missing;  // paths gone since the backup
};

// Restores backup `id`, or the latest one.
Result<RestoreReport> restore(const Path& state_dir, const std::optional<std::string>& id);

}  // namespace gatehouse::perms

// The backup journal of an apply: the owner, mode and ACLs every path had
// before apply touched it, written and fsynced before the change, so restore
// can put a tree back exactly even after an apply killed half-way.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "perms/acl.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

struct BackupRecord {
  std::string path;
  mode_t mode = 0;  // permission and special bits (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  std::string access;       // libacl short text, numeric ids
  std::string default_acl;  // "-" when the path had none (or is not a folder)
};

// <state_dir>/perms/backups
Path backups_dir(const Path& state_dir);

class BackupWriter {
 public:
  // Makes <backups_dir>/<id>/ (id: UTC time, sortable) and its journal.
  static Result<BackupWriter> create(const Path& state_dir);

  const std::string& id() const { return id_; }
  void add(const BackupRecord& record);
  // Writes what add() buffered and fsyncs it: call before changing those paths.
  Status sync();
  // sync() in two steps, so the fsync can run while the caller does other
  // work (on another thread, while only add() is called meanwhile).
  Status write_pending();
  Status datasync();

 private:
  BackupWriter(std::string id, Path file, UniqueFd fd)
      : id_(std::move(id)), file_(std::move(file)), fd_(std::move(fd)) {}
  std::string id_;
  Path file_;
  UniqueFd fd_;
  std::string pending_;
  bool entries_synced_ = false;  // the folder entries of the new journal are durable
};

// Backup ids, oldest first.
Result<std::vector<std::string>> list_backups(const Path& state_dir);
// The records of one backup; a torn last line (a kill during the write) is ignored.
Result<std::vector<BackupRecord>> read_backup(const Path& state_dir, const std::string& id);

}  // namespace gatehouse::perms

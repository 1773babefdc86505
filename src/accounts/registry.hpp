// The record of the accounts Gatehouse itself created, kept in
// <state_dir>/accounts.json, so that it only ever deletes its own accounts.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace gatehouse::accounts {

enum class Role { Pool, Anonymous };

struct RegistryEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  Role role = Role::Pool;
  std::string pool;        // the pool it was created for; empty for Role::Anonymous
  std::string created_at;  // ISO 8601 UTC, "2024-05-01T12:00:00Z"

  bool operator==(const RegistryEntry&) const = default;
};

class Registry {
 public:
  // The registry file of a state directory: <state_dir>/accounts.json.
  static std::filesystem::path file_in(const std::filesystem::path& state_dir);

  // Reads `file`; a missing file is an empty registry. A file that is not
  // valid is an error (never silently treated as empty: that would orphan
  // accounts).
  static Result<Registry> load(const std::filesystem::path& file);

  // Like load, but first takes an exclusive lock (flock on "<file>.lock",
  // creating the folder when missing) held until the Registry is destroyed,
  // so two Gatehouse processes (serve, perms, accounts) never lose each
  // other's entries. Use it whenever the registry will be changed.
  static Result<Registry> load_locked(const std::filesystem::path& file);

  // Writes the registry atomically: temporary file, fsync, rename, fsync of
  // the folder. Creates the folder (0755) when missing.
  Status save() const;

  const std::vector<RegistryEntry>& entries() const { return entries_; }
  const RegistryEntry* find(std::string_view name) const;
  // Adds or replaces the entry of that name.
  void put(RegistryEntry entry);
  bool erase(std::string_view name);
  const std::filesystem::path& file() const { return file_; }

 private:
  explicit Registry(std::filesystem::path file) : file_(std::move(file)) {}

  std::filesystem::path file_;
  std::vector<RegistryEntry> entries_;
  UniqueFd lock_;  // the lock file; closing it releases the flock
};

// The current time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_timestamp();

}  // namespace gatehouse::accounts

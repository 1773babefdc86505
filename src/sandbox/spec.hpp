// What one worker set may touch on disk, as plain data: built by the parent
// (from the permission plan, the PHP runtime and the pool's configuration)
// and turned into a Landlock ruleset just before a worker is forked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gatehouse::sandbox {

using Path = std::filesystem::path;

// Rights on a path and everything below it (Landlock rules are hierarchical).
struct Access {
  static constexpr std::uint8_t kRead = 1;     // open files for reading, list folders
  static constexpr std::uint8_t kWrite = 2;    // write, truncate, create, rename, remove
  static constexpr std::uint8_t kExecute = 4;  // execve (and the ELF interpreter)
};

struct PathRule {
  Path path;
  std::uint8_t access = Access::kRead;
  std::string reason;  // "permission plan: application root of site a"
};

struct Spec {
  bool enabled = true;  // false: no Landlock for this worker set (config: sandbox.enabled = false)
  std::vector<PathRule> rules;

  // Adds a rule, or widens the rights of an equal path already present.
  void add(Path path, std::uint8_t access, std::string reason);
};

// "read", "read,write", "read,execute" for listings.
std::string access_text(std::uint8_t access);

// The rules as lines for `gatehouse check`: "    rw-  /srv/a/uploads  (reason)".
std::string describe(const Spec& spec, std::string_view indent = "    ");

}  // namespace gatehouse::sandbox

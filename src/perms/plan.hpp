// The permission plan: a pure function from the configuration (and each pool's
// php.ini, already read into it) to the grants, closed trees and notes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::perms {

using config::Path;

enum class Scheme { Split, PoolOnly };

// What an account may do. On Linux: read = r on files (x on folders to reach
// them), list = r+x on folders, traverse = x on folders, modify = rw files, rwx folders.
struct Rights {
  static constexpr std::uint8_t kRead = 1, kList = 2, kTraverse = 4, kModify = 8;
  std::uint8_t bits = 0;

  bool has(std::uint8_t r) const { return (bits & r) == r; }
  Rights operator|(Rights o) const { return Rights{static_cast<std::uint8_t>(bits | o.bits)}; }
  bool operator==(const Rights&) const = default;
  // ACL permission bits (4 r, 2 w, 1 x) for a folder and for a file.
  unsigned folder_bits() const;
  unsigned file_bits() const;
  std::string str() const;  // "read,list,modify"
};

inline constexpr Rights kReadList{Rights::kRead | Rights::kList};
inline constexpr Rights kTraverseOnly{Rights::kTraverse};
inline constexpr Rights kModifyAll{Rights::kRead | Rights::kList | Rights::kModify};

enum class Scope { ThisFolderOnly, ThisFolderAndFiles, WholeTree };

struct Grant {
  Path path;
  std::string account;  // a Linux account name, resolved when applied
  Rights rights;
  Scope scope = Scope::WholeTree;
  bool inherit = true;  // folders get a default ACL so new files get the grant
  std::string reason;   // "session.save_path in /srv/shop/php.ini"

  // Whether the grant's access part reaches `p` (a folder when `is_dir`).
  bool covers(const Path& p, bool is_dir) const;
  // Whether the folder `dir` gets the grant in its default ACL.
  bool inherits_into(const Path& dir) const;
};

// A tree where group and other permission bits must give nothing, so only the
// named entries of the plan (and the owner) open it: pools kept apart.
struct ClosedTree {
  Path path;
  std::string reason;
};

// A php.ini location shared between pools (or a system default that is), with
// the per-pool folder the plan uses in its place.
struct Relocation {
  std::string pool;
  std::string setting;          // "upload_tmp_dir", "session.save_path", "error_log"
  std::optional<Path> current;  // empty when php.ini leaves it unset
  Path proposed;
};

// move_uploaded_file renames a file from upload_tmp_dir into `target`, and the
// file keeps the ACL it got in upload_tmp_dir: the two must agree (audit checks).
struct UploadRoute {
  std::string pool;
  Path upload_dir;
  Path target;  // a writable folder under a public root
};

struct Plan {
  std::vector<Grant> grants;
  std::vector<UploadRoute> uploads;
  std::vector<ClosedTree> closed;
  std::vector<Relocation> relocations;  // folders apply creates (0700 root) before granting
  std::vector<std::string> notes;
};

struct PlanOptions {
  std::optional<Scheme> scheme;  // empty: each application's anonymous user setting decides
};

Plan make_plan(const config::Config& config, const PlanOptions& options = {});

// The scheme an application gets without an override.
Scheme default_scheme(const config::Application& app);

std::string_view to_string(Scheme scheme);
std::optional<Scheme> parse_scheme(std::string_view text);
std::string_view to_string(Scope scope);

// True when `p` is `root` or lies below it (lexically; paths are absolute and normal).
bool is_within(const Path& p, const Path& root);

}  // namespace gatehouse::perms

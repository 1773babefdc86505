// The permission plan compiled for the kernel a second time: per (pool,
// identity), the Landlock rules of its workers, and the folders where its
// scripts must never run because PHP itself can write there. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "perms/plan.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::perms {

// Read where the plan grants the pool's account read or list, read and write
// where it grants modify; for an impersonated identity also what the plan
// grants that identity inside the pool's own trees (not the other sites it
// may read); the php.ini folders PHP really uses; then the PHP runtime and the
// pool's [pools.sandbox] additions. `identity` "" is the pool's own identity.
sandbox::Spec sandbox_spec(const config::Config& config, const Plan& plan, const config::Pool& pool,
                           const std::string& identity);

// A folder PHP of a pool can write: scripts under it are not run (404, logged
// as IIS's 403.1) unless the configuration opts the folder out.
struct NoScriptFolder {
  Path path;
  std::string reason;            // "writable folder of site shop", "upload_tmp_dir in /srv/shop/php.ini"
  bool scripts_allowed = false;  // writable = [{ path = ..., execute = true }]
};

// Every writable folder of the pool's applications, its upload_tmp_dir,
// session.save_path and error_log folder (as php.ini has them and as the plan
// relocates them), and what the plan lets `identity` modify. Deduplicated.
std::vector<NoScriptFolder> no_script_folders(const config::Config& config, const Plan& plan, const config::Pool& pool,
                                              const std::string& identity);

// The folder that decides for `script` (the deepest one containing it), when
// it forbids running it; nullptr when the script may run.
const NoScriptFolder* forbidding_folder(const std::vector<NoScriptFolder>& folders, const Path& script);

// Whether the spec's rules let a worker do `access` (sandbox::Access bits) on
// `path`: Landlock rules add up down the tree.
bool sandbox_allows(const sandbox::Spec& spec, const Path& path, std::uint8_t access);

}  // namespace gatehouse::perms

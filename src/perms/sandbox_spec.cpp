// sandbox_spec and no_script_folders: both read the plan's grants of the
// pool's account and php.ini's own locations.
#include "perms/sandbox_spec.hpp"

#include <algorithm>

#include "accounts/names.hpp"
#include "sandbox/runtime.hpp"

namespace gatehouse::perms {
namespace {

using sandbox::Access;

// What PHP of the pool writes because php.ini says so, with PHP's defaults:
// the plan may propose other folders, but until php.ini changes PHP writes here.
std::vector<std::pair<Path, std::string>> ini_folders(const config::Pool& pool) {
  const std::string ini = pool.php_ini.empty() ? "php's defaults" : pool.php_ini.string();
  std::vector<std::pair<Path, std::string>> out;
  out.emplace_back(pool.ini.upload_tmp_dir.value_or("/tmp"), "upload_tmp_dir in " + ini);
  if (!pool.ini.redis_sessions)  // phpredis: a server address, no folder
    out.emplace_back(pool.ini.session_save_path.value_or("/var/lib/php/sessions"), "session.save_path in " + ini);
  if (pool.ini.error_log && pool.ini.error_log->is_absolute())
    out.emplace_back(pool.ini.error_log->parent_path(), "folder of error_log in " + ini);
  return out;
}

bool is_grant_of(const Grant& g, const std::string& account) {
  return g.account == account &&
         (g.rights.has(Rights::kRead) || g.rights.has(Rights::kList) || g.rights.has(Rights::kModify));
}

std::uint8_t access_of(const Grant& g) {
  return g.rights.has(Rights::kModify) ? Access::kRead | Access::kWrite : Access::kRead;
}

}  // namespace

sandbox::Spec sandbox_spec(const config::Config& /*config*/, const Plan& plan, const config::Pool& pool,
                           const std::string& identity) {
  sandbox::Spec spec;
  const std::string account = accounts::pool_account(pool);
  std::vector<Path> own_trees;
  for (const auto& g : plan.grants) {
    if (!is_grant_of(g, account)) continue;  // traverse-only grants: Landlock does not check path walks
    spec.add(g.path, access_of(g), "plan: " + g.reason);
    own_trees.push_back(g.path);
  }
  if (!identity.empty() && identity != account) {
    for (const auto& g : plan.grants) {
      if (!is_grant_of(g, identity)) continue;
      const bool own =
          std::any_of(own_trees.begin(), own_trees.end(), [&](const Path& t) { return is_within(g.path, t); });
      if (own) spec.add(g.path, access_of(g), "plan for " + identity + ": " + g.reason);
    }
  }
  for (const auto& [dir, reason] : ini_folders(pool)) spec.add(dir, Access::kRead | Access::kWrite, reason);
  sandbox::add_php_runtime(spec, pool);
  return spec;
}

std::vector<NoScriptFolder> no_script_folders(const config::Config& config, const Plan& plan, const config::Pool& pool,
                                              const std::string& identity) {
  std::vector<NoScriptFolder> out;
  std::vector<Path> opted_out;
  auto add = [&](const Path& path, std::string reason, bool allowed) {
    auto same = std::find_if(out.begin(), out.end(), [&](const NoScriptFolder& f) { return f.path == path; });
    if (same == out.end())
      out.push_back(NoScriptFolder{path, std::move(reason), allowed});
    else
      same->scripts_allowed = same->scripts_allowed && allowed;  // one forbidding reason is enough
  };
  for (const auto& site : config.sites) {
    for (const auto& app : site.applications) {
      if (app.pool != pool.name) continue;
      for (const auto& dir : app.writable) {
        const bool allowed =
            std::find(app.writable_scripts.begin(), app.writable_scripts.end(), dir) != app.writable_scripts.end();
        add(dir, "writable folder of site " + site.name + (allowed ? " (execute = true)" : ""), allowed);
        if (allowed) opted_out.push_back(dir);
      }
    }
  }
  for (const auto& [dir, reason] : ini_folders(pool)) add(dir, reason, false);
  const std::string account = accounts::pool_account(pool);
  for (const auto& g : plan.grants) {
    const bool mine = g.account == account || (!identity.empty() && g.account == identity);
    const bool is_opt_out = std::find(opted_out.begin(), opted_out.end(), g.path) != opted_out.end();
    if (mine && g.rights.has(Rights::kModify) && !is_opt_out) add(g.path, "plan: " + g.reason, false);
  }
  return out;
}

const NoScriptFolder* forbidding_folder(const std::vector<NoScriptFolder>& folders, const Path& script) {
  const NoScriptFolder* deepest = nullptr;
  for (const auto& f : folders) {
    if (!is_within(script, f.path)) continue;
    if (!deepest ||
        std::distance(f.path.begin(), f.path.end()) > std::distance(deepest->path.begin(), deepest->path.end()))
      deepest = &f;
  }
  return deepest && !deepest->scripts_allowed ? deepest : nullptr;
}

bool sandbox_allows(const sandbox::Spec& spec, const Path& path, std::uint8_t access) {
  if (!spec.enabled) return true;
  std::uint8_t have = 0;
  for (const auto& r : spec.rules)
    if (is_within(path, r.path)) have |= r.access;
  return (have & access) == access;
}

}  // namespace gatehouse::perms

// Sandbox resolver, `check`'s confinement listing, and the log folder's modes.
#include "cli/confinement.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "accounts/names.hpp"
#include "common/log.hpp"
#include "perms/plan.hpp"
#include "perms/sandbox_spec.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/landlock.hpp"

namespace gatehouse::cli {
namespace {

// The identities a pool's workers run as, as far as the configuration tells:
// its own, and with fastcgi.impersonate=1 the anonymous account of each of
// its applications (authenticated users are only known at request time).
std::vector<std::string> worker_identities(const config::Config& config, const config::Pool& pool) {
  std::vector<std::string> out = {""};
  if (!pool.ini.fastcgi_impersonate) return out;
  for (const auto& site : config.sites)
    for (const auto& app : site.applications)
      if (app.pool == pool.name && app.authentication.anonymous_user == config::AnonymousUser::Iusr &&
          std::find(out.begin(), out.end(), config.accounts.anonymous) == out.end())
        out.push_back(config.accounts.anonymous);
  return out;
}

}  // namespace

pool::SandboxResolver sandbox_resolver(const config::Config& config) {
  auto plan = std::make_shared<const perms::Plan>(perms::make_plan(config));
  auto whole = std::make_shared<const config::Config>(config);
  return [plan, whole](const config::Pool& pool, const std::string& identity) -> Result<std::optional<sandbox::Spec>> {
    return perms::sandbox_spec(*whole, *plan, pool, identity);
  };
}

handlers::ScriptPolicy script_policy(const config::Config& config) {
  const auto plan = perms::make_plan(config);
  // The pool's own identity decides: the folders are the pool's writable ones
  // whoever PHP runs as (an impersonated account only narrows what it may write).
  auto folders = std::make_shared<std::map<std::string, std::vector<perms::NoScriptFolder>>>();
  for (const auto& pool : config.pools) {
    auto list = perms::no_script_folders(config, plan, pool, "");  // opt-outs kept: the deepest decides
    // A writable folder that holds the application itself (sites served from
    // /tmp with PHP's default upload_tmp_dir) would refuse every script: that
    // is the audit's pool-can-write-code-folder, not a web-shell folder inside
    // the public tree. Only folders below the application's roots refuse scripts.
    std::erase_if(list, [&](const perms::NoScriptFolder& f) {
      for (const auto& site : config.sites)
        for (const auto& app : site.applications)
          if (app.pool == pool.name &&
              (perms::is_within(app.physical_path, f.path) || perms::is_within(app.app_root, f.path)))
            return true;
      return false;
    });
    (*folders)[pool.name] = std::move(list);
  }
  return [folders](const std::string& pool, std::string_view script) -> std::optional<handlers::ScriptBan> {
    auto it = folders->find(pool);
    if (it == folders->end()) return std::nullopt;
    // The deepest folder containing the script decides. Both sides are clean
    // absolute paths (config and plan normalise them): a prefix test on whole
    // segments, without building paths on every request.
    const perms::NoScriptFolder* deepest = nullptr;
    for (const auto& f : it->second) {
      const std::string& dir = f.path.native();
      bool inside = script.size() > dir.size() && script.starts_with(dir) && (dir == "/" || script[dir.size()] == '/');
      if (inside && (!deepest || dir.size() > deepest->path.native().size())) deepest = &f;
    }
    if (!deepest || deepest->scripts_allowed) return std::nullopt;
    return handlers::ScriptBan{deepest->path, deepest->reason};
  };
}

std::string confinement_report(const config::Config& config) {
  const auto plan = perms::make_plan(config);
  const int abi = sandbox::landlock_abi();
  const auto host = sandbox::detect_cgroups();
  std::string out = "worker confinement:\n";
  out += abi > 0 ? "  Landlock ABI " + std::to_string(abi) + "\n"
                 : "  WARNING: this kernel offers no Landlock: workers run WITHOUT a sandbox\n";
  out += "  limits enforced with " + std::string(sandbox::to_string(host.mode)) + "\n";
  for (const auto& pool : config.pools) {
    out += "  pool " + pool.name + ": " + sandbox::describe(sandbox::limits_of(pool)) + "\n";
    for (const auto& identity : worker_identities(config, pool)) {
      const std::string who = identity.empty() ? accounts::pool_account(pool) : identity;
      out += "  worker set (" + pool.name + ", " + who + ") sandbox:\n";
      out += sandbox::describe(perms::sandbox_spec(config, plan, pool, identity), "    ");
      out += "    scripts never run under (404, logged 403.1):\n";
      for (const auto& f : perms::no_script_folders(config, plan, pool, identity)) {
        if (f.scripts_allowed)
          out += "    WARNING: scripts RUN in writable " + f.path.string() + " (" + f.reason +
                 "): a file PHP writes there is code that runs; remove execute = true unless the "
                 "application must generate PHP\n";
        else
          out += "      " + f.path.string() + "  (" + f.reason + ")\n";
      }
    }
  }
  return out;
}

void close_log_dir(const config::Path& log_dir) {
  const bool root = ::geteuid() == 0;
  const struct group* adm = root ? ::getgrnam("adm") : nullptr;
  const gid_t gid = adm ? adm->gr_gid : 0;
  auto close_one = [&](const std::filesystem::path& p, mode_t mode) {
    if (root && ::lchown(p.c_str(), 0, gid) < 0)
      log::warn("cannot chown {} to root:adm: {}", p.string(), strerror(errno));
    if (::chmod(p.c_str(), mode) < 0) log::warn("cannot chmod {}: {}", p.string(), strerror(errno));
  };
  close_one(log_dir, 0750);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(log_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink()) continue;
    close_one(it->path(), it->is_directory() ? 0750 : 0640);
  }
}

}  // namespace gatehouse::cli

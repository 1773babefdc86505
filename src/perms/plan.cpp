// Builds the permission plan from the configuration: who gets what where, and
// why. Pure: reads no files, so the same plan drives apply, audit and export.
#include "perms/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "accounts/names.hpp"
#include "config/summary.hpp"

namespace gatehouse::perms {
namespace {

// Locations every PHP on the machine uses unless told otherwise: a pool that
// keeps them shares its uploads or sessions with every other account.
const std::set<Path> kSharedSystemFolders = {"/tmp",     "/var/tmp",    "/dev/shm", "/var/lib/php/sessions",
                                             "/var/log", "/var/lib/php"};
const Path kDefaultUploadDir = "/tmp";                    // sys_get_temp_dir()
const Path kDefaultSessionDir = "/var/lib/php/sessions";  // Debian's php.ini

// Where one pool writes because php.ini says so (after relocation).
struct PoolFolder {
  Path path;
  Scope scope = Scope::WholeTree;
  std::string reason;
};

struct PoolInfo {
  std::string account;
  std::optional<Path> upload_dir;  // for the move_uploaded_file fix
  std::vector<PoolFolder> writes;
};

std::string ini_name(const config::Pool& pool) {
  return pool.php_ini.empty() ? std::string("the php.ini of pool ") + pool.name : pool.php_ini.string();
}

std::string app_label(const config::Site& site, const config::Application& app) {
  return "site " + site.name + (app.path == "/" ? std::string() : " application " + app.path);
}

class Planner {
 public:
  Planner(const config::Config& config, const PlanOptions& options) : config_(config), options_(options) {}

  Plan run() {
    collect_pool_folders();
    for (const auto& site : config_.sites) {
      for (const auto& app : site.applications) plan_application(site, app);
      for (const auto& vdir : site.virtual_directories) plan_virtual_directory(site, vdir);
    }
    add_traverse();
    normalise();
    return std::move(plan_);
  }

 private:
  const config::Pool* pool_of(std::string_view name) const {
    for (const auto& pool : config_.pools) {
      if (pool.name == name) return &pool;
    }
    return nullptr;
  }

  Scheme scheme_of(const config::Application& app) const { return options_.scheme.value_or(default_scheme(app)); }

  void grant(Path path, std::string account, Rights rights, Scope scope, std::string reason) {
    const bool inherit = scope != Scope::ThisFolderOnly;
    plan_.grants.push_back(Grant{std::move(path), std::move(account), rights, scope, inherit, std::move(reason)});
  }

  void close(Path path, std::string reason) { plan_.closed.push_back(ClosedTree{std::move(path), std::move(reason)}); }

  // How many pools name each location; a location two pools share is moved.
  std::map<Path, int> count_locations() const {
    std::map<Path, int> uses;
    for (const auto& pool : config_.pools) {
      ++uses[pool.ini.upload_tmp_dir.value_or(kDefaultUploadDir)];
      if (!pool.ini.redis_sessions) ++uses[pool.ini.session_save_path.value_or(kDefaultSessionDir)];
      if (pool.ini.error_log && pool.ini.error_log->is_absolute()) ++uses[pool.ini.error_log->parent_path()];
    }
    return uses;
  }

  // One php.ini location: kept when it belongs to this pool alone, otherwise
  // replaced by a folder under the state directory (and said so in a note).
  std::optional<PoolFolder> locate(const config::Pool& pool, const std::string& setting, std::optional<Path> current,
                                   const Path& fallback, const char* subdir, const std::map<Path, int>& uses) {
    const Path effective = current.value_or(fallback);
    if (effective.empty()) return std::nullopt;
    const bool shared = uses.at(effective) > 1 || kSharedSystemFolders.contains(effective);
    if (!shared) return PoolFolder{effective, Scope::WholeTree, setting + " in " + ini_name(pool)};
    Path proposed = config_.server.state_dir / "pools" / pool.name / subdir;
    plan_.relocations.push_back(Relocation{pool.name, setting, current, proposed});
    const Path value = setting == "error_log" ? proposed / "php_errors.log" : proposed;
    const std::string where = current ? effective.string() : effective.string() + " (php's default)";
    plan_.notes.push_back("pool " + pool.name + ": " + setting + " is " + where +
                          ", shared with other pools or "
                          "accounts; set it to " +
                          value.string() + " in " + ini_name(pool) + " (the plan grants that folder)");
    return PoolFolder{proposed, Scope::WholeTree, "per-pool " + setting + " proposed for pool " + pool.name};
  }

  void collect_pool_folders() {
    const auto uses = count_locations();
    for (const auto& pool : config_.pools) {
      PoolInfo info{accounts::pool_account(pool), {}, {}};
      if (auto up = locate(pool, "upload_tmp_dir", pool.ini.upload_tmp_dir, kDefaultUploadDir, "uploads", uses)) {
        info.upload_dir = up->path;
        info.writes.push_back(*up);
      }
      // Sessions in Redis (phpredis) are a server address: no folder to grant.
      if (pool.ini.redis_sessions) {
        plan_.notes.push_back("pool " + pool.name + ": sessions go to " + config::session_destination(pool.ini) +
                              ", not to a folder");
      } else if (auto s = locate(pool, "session.save_path", pool.ini.session_save_path, kDefaultSessionDir, "sessions",
                                 uses)) {
        info.writes.push_back(*s);
      }
      if (pool.ini.error_log && pool.ini.error_log->is_absolute()) {
        if (auto e = locate(pool, "error_log", pool.ini.error_log->parent_path(), {}, "log", uses)) {
          e->scope = Scope::ThisFolderAndFiles;
          if (e->reason.starts_with("error_log in")) e->reason = "folder of error_log in " + ini_name(pool);
          info.writes.push_back(*e);
        }
      }
      pools_[pool.name] = std::move(info);
    }
  }

  // Every folder the site serves to the anonymous user.
  std::vector<Path> public_roots(const config::Site& site) const {
    std::vector<Path> roots;
    for (const auto& app : site.applications) roots.push_back(app.physical_path);
    for (const auto& vdir : site.virtual_directories) roots.push_back(vdir.physical_path);
    return roots;
  }

  void plan_application(const config::Site& site, const config::Application& app) {
    const config::Pool* pool = pool_of(app.pool);
    if (pool == nullptr) return;  // the loader refuses this; nothing sensible to grant
    const PoolInfo& info = pools_.at(pool->name);
    const std::string label = app_label(site, app);
    const Scheme scheme = scheme_of(app);
    const std::string anon = scheme == Scheme::Split ? config_.accounts.anonymous : info.account;

    if (app.authentication.anonymous_enabled) {
      grant(app.physical_path, anon, kReadList, Scope::WholeTree,
            "public root of " + label +
                (scheme == Scheme::Split ? " (anonymous user)" : " (anonymous user is the pool identity)"));
    }
    grant(app.app_root, info.account, kReadList, Scope::WholeTree,
          "application root of " + label + ", pool " + pool->name);
    close(app.app_root, "application root of " + label);
    if (!is_within(app.physical_path, app.app_root)) {
      grant(app.physical_path, info.account, kReadList, Scope::WholeTree,
            "public root of " + label + ", pool " + pool->name);
      close(app.physical_path, "public root of " + label);
    }
    for (const auto& dir : pool->ini.include_path) {
      if (!dir.is_absolute() || is_within(dir, app.app_root)) continue;
      grant(dir, info.account, kReadList, Scope::WholeTree, "include_path in " + ini_name(*pool));
    }
    for (const auto& dir : app.writable) {
      grant(dir, info.account, kModifyAll, Scope::WholeTree, "writable folder of " + label);
      close(dir, "writable folder of " + label);
    }
    for (const auto& folder : info.writes) {
      grant(folder.path, info.account, kModifyAll, folder.scope, folder.reason);
      close(folder.path, folder.reason);
    }
    if (scheme == Scheme::Split && anon != info.account) plan_split_extras(site, app, *pool, info, anon);
  }

  // Split scheme only: the anonymous account and the pool differ, which has
  // two consequences the plan must carry.
  void plan_split_extras(const config::Site& site, const config::Application& app, const config::Pool& pool,
                         const PoolInfo& info, const std::string& anon) {
    if (pool.ini.fastcgi_impersonate) {
      grant(app.app_root, anon, kReadList, Scope::WholeTree,
            "fastcgi.impersonate=1 in " + ini_name(pool) + ": PHP reads the application as " + anon);
      plan_.notes.push_back("pool " + pool.name + ": fastcgi.impersonate=1 with the anonymous account " + anon +
                            ": PHP runs as " + anon +
                            " for anonymous requests, which every site shares, and "
                            "cannot write where only the pool may");
    }
    if (!info.upload_dir) return;
    for (const auto& dir : app.writable) {
      const auto roots = public_roots(site);
      auto root = std::find_if(roots.begin(), roots.end(), [&](const Path& r) { return is_within(dir, r); });
      if (root == roots.end()) continue;
      plan_.uploads.push_back(UploadRoute{pool.name, *info.upload_dir, dir});
      grant(*info.upload_dir, anon, Rights{Rights::kRead}, Scope::WholeTree,
            "move_uploaded_file keeps upload_tmp_dir's ACL: writable " + dir.string() + " is under public root " +
                root->string());
    }
  }

  // The application whose URL prefix is the longest one containing `path`.
  const config::Application* enclosing(const config::Site& site, const std::string& path) const {
    const config::Application* best = nullptr;
    for (const auto& app : site.applications) {
      const bool contains = app.path == "/" || path == app.path || path.starts_with(app.path + "/");
      if (contains && (best == nullptr || app.path.size() > best->path.size())) best = &app;
    }
    return best;
  }

  void plan_virtual_directory(const config::Site& site, const config::VirtualDirectory& vdir) {
    const config::Application* app = enclosing(site, vdir.path);
    if (app == nullptr) return;
    const config::Pool* pool = pool_of(app->pool);
    if (pool == nullptr) return;
    const std::string& account = pools_.at(pool->name).account;
    const std::string label = "virtual directory " + vdir.path + " of site " + site.name;
    if (app->authentication.anonymous_enabled) {
      const bool split = scheme_of(*app) == Scheme::Split;
      grant(vdir.physical_path, split ? config_.accounts.anonymous : account, kReadList, Scope::WholeTree,
            "public root of " + label + (split ? " (anonymous user)" : " (anonymous user is the pool identity)"));
    }
    grant(vdir.physical_path, account, kReadList, Scope::WholeTree, label + ", served by pool " + pool->name);
    close(vdir.physical_path, label);
  }

  // The Linux form of "List on the parent site root": x on every ancestor of
  // a grant, up to but excluding "/", unless a wider grant already gives it.
  void add_traverse() {
    std::vector<Grant> extra;
    for (const auto& g : plan_.grants) {
      for (Path p = g.path.parent_path(); p != p.root_path() && !p.empty(); p = p.parent_path()) {
        const bool reached = std::any_of(plan_.grants.begin(), plan_.grants.end(),
                                         [&](const Grant& o) { return o.account == g.account && o.covers(p, true); });
        if (!reached)
          extra.push_back(
              Grant{p, g.account, kTraverseOnly, Scope::ThisFolderOnly, false, "traverse to reach " + g.path.string()});
      }
    }
    plan_.grants.insert(plan_.grants.end(), extra.begin(), extra.end());
  }

  void normalise() {
    std::vector<Grant> merged;
    for (auto& g : plan_.grants) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const Grant& m) {
        return m.path == g.path && m.account == g.account && m.scope == g.scope && m.inherit == g.inherit;
      });
      if (same == merged.end()) {
        merged.push_back(std::move(g));
      } else if (!(same->rights == kTraverseOnly && g.rights == kTraverseOnly)) {  // one reason to reach is enough
        same->rights = same->rights | g.rights;
        if (same->reason.find(g.reason) == std::string::npos) same->reason += "; " + g.reason;
      }
    }
    std::stable_sort(merged.begin(), merged.end(), [](const Grant& a, const Grant& b) {
      return std::tie(a.path, a.account) < std::tie(b.path, b.account);
    });
    plan_.grants = std::move(merged);

    std::sort(plan_.closed.begin(), plan_.closed.end(), [](auto& a, auto& b) { return a.path < b.path; });
    std::vector<ClosedTree> roots;
    for (auto& c : plan_.closed) {
      if (roots.empty() || !is_within(c.path, roots.back().path)) roots.push_back(std::move(c));
    }
    plan_.closed = std::move(roots);
    std::vector<std::string> notes;
    for (auto& n : plan_.notes) {
      if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(std::move(n));
    }
    plan_.notes = std::move(notes);
  }

  const config::Config& config_;
  const PlanOptions& options_;
  std::map<std::string, PoolInfo> pools_;
  Plan plan_;
};

}  // namespace

unsigned Rights::folder_bits() const {
  unsigned out = 0;
  if (bits & (kRead | kTraverse)) out |= 1;
  if (bits & kList) out |= 4 | 1;
  if (bits & kModify) out |= 4 | 2 | 1;
  return out;
}

unsigned Rights::file_bits() const {
  unsigned out = 0;
  if (bits & (kRead | kList)) out |= 4;
  if (bits & kModify) out |= 4 | 2;
  return out;
}

std::string Rights::str() const {
  std::string out;
  auto add = [&](std::uint8_t r, const char* name) {
    if (!(bits & r)) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(kRead, "read");
  add(kList, "list");
  add(kTraverse, "traverse");
  add(kModify, "modify");
  return out.empty() ? "none" : out;
}

bool is_within(const Path& p, const Path& root) {
  auto [rit, pit] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return rit == root.end() || (std::next(rit) == root.end() && rit->empty());  // "a/b/" ends in an empty element
}

bool Grant::covers(const Path& p, bool is_dir) const {
  switch (scope) {
    case Scope::ThisFolderOnly:
      return p == path;
    case Scope::ThisFolderAndFiles:
      return p == path || (!is_dir && p.parent_path() == path);
    case Scope::WholeTree:
      return is_within(p, path);
  }
  return false;
}

bool Grant::inherits_into(const Path& dir) const {
  if (!inherit) return false;
  return scope == Scope::WholeTree ? is_within(dir, path) : (scope == Scope::ThisFolderAndFiles && dir == path);
}

Scheme default_scheme(const config::Application& app) {
  return app.authentication.anonymous_user == config::AnonymousUser::Pool ? Scheme::PoolOnly : Scheme::Split;
}

Plan make_plan(const config::Config& config, const PlanOptions& options) { return Planner(config, options).run(); }

std::string_view to_string(Scheme scheme) { return scheme == Scheme::Split ? "split" : "pool-only"; }

std::optional<Scheme> parse_scheme(std::string_view text) {
  if (text == "split") return Scheme::Split;
  if (text == "pool-only") return Scheme::PoolOnly;
  return std::nullopt;
}

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::ThisFolderOnly:
      return "this folder only";
    case Scope::ThisFolderAndFiles:
      return "this folder and files";
    case Scope::WholeTree:
      return "whole tree";
  }
  return "?";
}

}  // namespace gatehouse::perms

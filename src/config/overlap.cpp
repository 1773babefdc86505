// The isolation safety net of the configuration: no folder of one pool may
// lie inside, contain or be a folder of another pool (the permission plan
// would grant each pool rights in the other's files), unless shared on purpose.
#include <algorithm>
#include <map>

#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

// One folder the plan grants a pool rights on, and where the file names it.
struct Tree {
  Path path;
  std::string pool;
  std::string owner;  // "site wiki", "site shop application /blog", "site shop virtual directory /media"
  std::string key;    // "sites[0].writable[1]"
  std::string what;   // "app_root", "physical_path", "writable folder"
  SourcePos pos;
  bool writable = false;
  const Application* app = nullptr;  // whose share_with applies
  std::size_t group = 0;             // trees of one application or virtual directory share a group
};

// `p` is `root` or lies below it (both absolute and clean).
bool inside(const Path& p, const Path& root) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

std::string label(const Site& site, const Application& app) {
  return "site " + site.name + (app.path == "/" ? "" : " application " + app.path);
}

// The enclosing application of a virtual directory: the longest prefix.
const Application* enclosing(const Site& site, const std::string& path) {
  const Application* best = &site.root();
  for (const auto& app : site.applications)
    if ((path == app.path || path.starts_with(app.path + "/")) && app.path.size() > best->path.size()) best = &app;
  return best;
}

std::vector<Tree> collect(const Config& config, const ReadState& state) {
  std::vector<Tree> trees;
  std::size_t group = 0;
  auto add = [&](Path path, const std::string& pool, std::string owner, std::string key, const SourcePos& fallback,
                 bool writable, const Application* app) {
    if (path.empty() || pool.empty()) return;
    SourcePos pos = state.pos_or(key, fallback);
    std::string what = writable ? "writable folder" : key.ends_with(".app_root") ? "app_root" : "physical_path";
    trees.push_back(
        Tree{std::move(path), pool, std::move(owner), std::move(key), std::move(what), pos, writable, app, group});
  };
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const Site& site = config.sites[s];
    for (std::size_t a = 0; a < site.applications.size(); ++a) {
      const Application& app = site.applications[a];
      const std::string key = application_key(s, a);
      // app_root defaults to physical_path: then one tree, named by physical_path.
      const bool own_root = state.positions.contains(key + ".app_root");
      if (own_root) add(app.app_root, app.pool, label(site, app), key + ".app_root", app.pos, false, &app);
      add(app.physical_path, app.pool, label(site, app), key + ".physical_path", app.pos, false, &app);
      for (std::size_t w = 0; w < app.writable.size(); ++w)
        add(app.writable[w], app.pool, label(site, app), key + ".writable[" + std::to_string(w) + "]", app.pos, true,
            &app);
      ++group;
    }
    for (std::size_t d = 0; d < site.virtual_directories.size(); ++d) {
      const VirtualDirectory& dir = site.virtual_directories[d];
      const Application* app = enclosing(site, dir.path);
      add(dir.physical_path, app->pool, "site " + site.name + " virtual directory " + dir.path,
          "sites[" + std::to_string(s) + "].virtual_directories[" + std::to_string(d) + "].physical_path", dir.pos,
          false, app);
      ++group;
    }
  }
  return trees;
}

bool shares(const Tree& a, const Tree& b) {
  auto names = [](const Tree& t, const std::string& pool) {
    const auto& list = t.app->share_with;
    return std::find(list.begin(), list.end(), pool) != list.end();
  };
  return names(a, b.pool) || names(b, a.pool);
}

// Where `later` stands against `earlier`: "lies inside", "contains", "is".
std::string relation(const Tree& later, const Tree& earlier) {
  if (later.path == earlier.path) return "is the same folder as";
  return inside(later.path, earlier.path) ? "lies inside" : "contains";
}

std::string rights(const Tree& t) { return t.writable ? "modify" : "read"; }

void report(const Tree& later, const Tree& earlier, ReadState& state) {
  const std::string where = in_quotes(later.path.string()) + " " + relation(later, earlier) + " " + earlier.what + " " +
                            in_quotes(earlier.path.string()) + " of " + earlier.owner + " (pool " + earlier.pool +
                            ", " + earlier.key + " at " + earlier.pos.str() + ")";
  const std::string impact = "pool " + later.pool + " gets " + rights(later) + " rights in pool " + earlier.pool +
                             "'s files there, and pool " + earlier.pool + " gets " + rights(earlier) +
                             " rights in pool " + later.pool + "'s";
  if (shares(later, earlier)) {
    state.warn(later.pos, later.key,
               "SHARED ON PURPOSE (share_with): " + where + ": " + impact +
                   "; the two pools are NOT isolated from each other in this folder");
    return;
  }
  state.add(later.pos, later.key,
            where + ": " + impact +
                ", which breaks the isolation between pools. Give each pool folders of its "
                "own; to share on purpose, add share_with = [\"" +
                earlier.pool + "\"] to " + later.owner);
}

void check_share_with(const Config& config, ReadState& state) {
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    for (std::size_t a = 0; a < config.sites[s].applications.size(); ++a) {
      const Application& app = config.sites[s].applications[a];
      for (std::size_t i = 0; i < app.share_with.size(); ++i) {
        const std::string key = application_key(s, a) + ".share_with[" + std::to_string(i) + "]";
        if (config.find_pool(app.share_with[i])) continue;
        state.add(state.pos_or(key, app.pos), key,
                  "expected the name of a [[pools]] entry, got " + in_quotes(app.share_with[i]));
      }
    }
  }
}

void check_web_roots(const Config& config, ReadState& state) {
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const Site& site = config.sites[s];
    for (std::size_t a = 0; a < site.applications.size(); ++a) {
      const Application& app = site.applications[a];
      const std::string key = application_key(s, a);
      if (app.physical_path.empty() || app.app_root.empty() || inside(app.physical_path, app.app_root)) continue;
      state.warn(state.pos_or(key + ".physical_path", app.pos), key + ".physical_path",
                 "physical_path " + in_quotes(app.physical_path.string()) + " is outside app_root " +
                     in_quotes(app.app_root.string()) + " (" + key + ".app_root at " +
                     state.pos_or(key + ".app_root", app.pos).str() + "): pool " + app.pool +
                     " is granted read on both trees; put the web root inside the application's root");
    }
  }
}

// A php.ini names one upload_tmp_dir, session.save_path and error_log: two
// pools reading the same file share them, whatever the plan proposes.
void check_shared_php_ini(const Config& config, ReadState& state) {
  std::map<Path, std::size_t> first;  // php.ini -> first pool using it
  for (std::size_t p = 0; p < config.pools.size(); ++p) {
    const Pool& pool = config.pools[p];
    const std::string key = "pools[" + std::to_string(p) + "].php_ini";
    auto [it, fresh] = first.emplace(pool.php_ini, p);
    if (fresh) continue;
    const Pool& other = config.pools[it->second];
    const std::string other_key = "pools[" + std::to_string(it->second) + "]";
    if (pool.php_ini.empty()) {
      state.warn(pool.pos, "pools[" + std::to_string(p) + "]",
                 "pools " + other.name + " and " + pool.name + " both use php-cgi's default php.ini (no php_ini " +
                     "key), so they share its upload_tmp_dir and session.save_path: give each pool its own php.ini");
    } else {
      state.add(state.pos_or(key, pool.pos), key,
                in_quotes(pool.php_ini.string()) + " is also the php.ini of pool " + other.name + " (" + other_key +
                    ".php_ini at " + state.pos_or(other_key + ".php_ini", other.pos).str() +
                    "): the pools would share its upload_tmp_dir, session.save_path and error_log; give each pool "
                    "its own php.ini");
    }
  }
}

}  // namespace

void check_overlaps(const Config& config, ReadState& state) {
  check_shared_php_ini(config, state);
  check_share_with(config, state);
  check_web_roots(config, state);
  const std::vector<Tree> trees = collect(config, state);
  // One message per (tree, other application): its first overlapping tree.
  for (std::size_t j = 0; j < trees.size(); ++j) {
    std::vector<std::size_t> reported;
    for (std::size_t i = 0; i < j; ++i) {
      const Tree& a = trees[i];
      const Tree& b = trees[j];
      if (a.pool == b.pool || a.group == b.group) continue;
      if (!inside(a.path, b.path) && !inside(b.path, a.path)) continue;
      if (std::find(reported.begin(), reported.end(), a.group) != reported.end()) continue;
      reported.push_back(a.group);
      report(b, a, state);
    }
  }
}

}  // namespace gatehouse::config

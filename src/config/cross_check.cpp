// Checks that need the whole configuration: references between sections,
// duplicates, and the files and folders it names.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "config/php_ini.hpp"
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Pool and site names are compared as IIS compares them: case-insensitively.
template <class T>
void check_unique_names(const std::vector<T>& items, std::string_view section, ReadState& state) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name.empty()) continue;
    const std::string key = std::string{section} + "[" + std::to_string(i) + "].name";
    auto [it, fresh] = seen.emplace(lower(items[i].name), i);
    if (fresh) continue;
    const std::string first = std::string{section} + "[" + std::to_string(it->second) + "].name";
    state.add(state.pos_or(key, items[i].pos), key,
              "duplicate name " + in_quotes(items[i].name) + " (already used at " +
                  state.pos_or(first, items[it->second].pos).str() + ")");
  }
}

void check_pool_references(const Config& config, ReadState& state) {
  std::string names;
  for (const auto& pool : config.pools) names += (names.empty() ? "" : ", ") + pool.name;
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const auto& apps = config.sites[s].applications;
    for (std::size_t a = 0; a < apps.size(); ++a) {
      const std::string key = application_key(s, a) + ".pool";
      if (apps[a].pool.empty() || !state.positions.contains(key) || config.find_pool(apps[a].pool)) continue;
      state.add(state.pos_or(key, apps[a].pos), key,
                "expected the name of a [[pools]] entry (" + (names.empty() ? "none defined" : names) + "), got " +
                    in_quotes(apps[a].pool));
    }
  }
}

// An exact duplicate (same IP, port and host) is ambiguous; "*" beside a
// specific IP on one port is not: the most specific binding wins, as in IIS.
void check_bindings(const Config& config, ReadState& state) {
  std::map<std::tuple<std::string, int, std::string>, std::string> seen;  // -> key of first use
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const auto& bindings = config.sites[s].bindings;
    for (std::size_t b = 0; b < bindings.size(); ++b) {
      const std::string key = "sites[" + std::to_string(s) + "].bindings[" + std::to_string(b) + "]";
      auto [it, fresh] = seen.emplace(std::tuple{bindings[b].ip, bindings[b].port, bindings[b].host}, key);
      if (fresh) continue;
      state.add(state.pos_or(key, config.sites[s].pos), key,
                "binding " + in_quotes(bindings[b].text) + " is already used by " + it->second + " at " +
                    state.pos_or(it->second, {}).str());
    }
  }
}

void check_url_paths(const Site& site, std::size_t s, ReadState& state) {
  std::map<std::string, std::string> seen;  // URL path -> key of first use
  auto check = [&](const std::string& path, const std::string& prefix, const SourcePos& fallback) {
    if (path.empty()) return;
    const std::string key = prefix + ".path";
    auto [it, fresh] = seen.emplace(path, key);
    if (!fresh)
      state.add(state.pos_or(key, fallback), key,
                "path " + in_quotes(path) + " is already mapped by " + it->second + " at " +
                    state.pos_or(it->second, {}).str());
  };
  for (std::size_t a = 1; a < site.applications.size(); ++a)
    check(site.applications[a].path, application_key(s, a), site.applications[a].pos);
  for (std::size_t d = 0; d < site.virtual_directories.size(); ++d)
    check(site.virtual_directories[d].path,
          "sites[" + std::to_string(s) + "].virtual_directories[" + std::to_string(d) + "]",
          site.virtual_directories[d].pos);
}

// php-cgi exits by itself after PHP_FCGI_MAX_REQUESTS (0: never); below
// instance_max_requests it would die mid-cycle, which IIS also forbids.
void check_max_requests(const Pool& pool, std::size_t p, ReadState& state) {
  for (const auto& [name, value] : pool.fastcgi.environment) {
    if (name != "PHP_FCGI_MAX_REQUESTS") continue;
    const std::string key = "pools[" + std::to_string(p) + "].fastcgi.environment." + name;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size()) {
      state.add(state.pos_or(key, pool.pos), key, "expected a non-negative integer, got " + in_quotes(value));
    } else if (n != 0 && n < pool.fastcgi.instance_max_requests) {
      state.add(state.pos_or(key, pool.pos), key,
                "PHP_FCGI_MAX_REQUESTS = " + value +
                    " is lower than instance_max_requests = " + std::to_string(pool.fastcgi.instance_max_requests) +
                    ": php-cgi would exit after " + value + " requests; set both to the same value");
    }
  }
}

enum class Kind { Directory, File, Executable };

// Empty when `path` exists with the right type, else why not.
std::string path_problem(const Path& path, Kind kind) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  const char* what = kind == Kind::Directory ? "an existing directory" : "an existing file";
  if (ec) return std::string{"expected "} + what + ", got " + in_quotes(path.string()) + " (" + ec.message() + ")";
  if (kind == Kind::Directory && !std::filesystem::is_directory(status))
    return "expected a directory, got " + in_quotes(path.string()) + " (not a directory)";
  if (kind != Kind::Directory && !std::filesystem::is_regular_file(status))
    return "expected a regular file, got " + in_quotes(path.string()) + " (not a regular file)";
  if (kind == Kind::Executable && ::access(path.c_str(), X_OK) != 0)
    return "expected an executable file, got " + in_quotes(path.string()) + " (" + std::strerror(errno) + ")";
  return {};
}

void check_path(const Path& path, Kind kind, const std::string& key, const SourcePos& fallback, ReadState& state) {
  if (path.empty() || !state.positions.contains(key)) return;
  if (auto why = path_problem(path, kind); !why.empty()) state.add(state.pos_or(key, fallback), key, why);
}

void read_ini(Pool& pool, std::size_t p, bool must_exist, ReadState& state) {
  if (pool.php_ini.empty()) return;
  const std::string key = "pools[" + std::to_string(p) + "].php_ini";
  pool.ini.file = pool.php_ini;
  if (auto why = path_problem(pool.php_ini, Kind::File); !why.empty()) {
    if (must_exist) state.add(state.pos_or(key, pool.pos), key, why);
    return;
  }
  std::ifstream in{pool.php_ini, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    state.add(state.pos_or(key, pool.pos), key,
              "cannot read " + in_quotes(pool.php_ini.string()) + ": " + std::strerror(errno));
    return;
  }
  std::vector<Problem> problems;
  pool.ini = parse_php_ini(text.str(), pool.php_ini, problems);
  for (auto& problem : problems) {
    problem.message =
        "[pool " + pool.name + "] " + (problem.key.empty() ? "" : "'" + problem.key + "': ") + problem.message;
    problem.key.clear();
    state.problems.push_back(std::move(problem));
  }
}

}  // namespace

void check_references(const Config& config, ReadState& state) {
  check_unique_names(config.pools, "pools", state);
  check_unique_names(config.sites, "sites", state);
  check_pool_references(config, state);
  check_bindings(config, state);
  for (std::size_t s = 0; s < config.sites.size(); ++s) check_url_paths(config.sites[s], s, state);
  for (std::size_t p = 0; p < config.pools.size(); ++p) check_max_requests(config.pools[p], p, state);
}

void check_paths(Config& config, ReadState& state, bool must_exist) {
  for (std::size_t p = 0; p < config.pools.size(); ++p) {
    read_ini(config.pools[p], p, must_exist, state);
    if (!must_exist) continue;
    const Pool& pool = config.pools[p];
    const std::string key = "pools[" + std::to_string(p) + "]";
    check_path(pool.php_cgi, Kind::Executable, key + ".php_cgi", pool.pos, state);
    if (pool.fastcgi.monitor_changes_to)
      check_path(*pool.fastcgi.monitor_changes_to, Kind::File, key + ".fastcgi.monitor_changes_to", pool.pos, state);
  }
  if (!must_exist) return;
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const Site& site = config.sites[s];
    for (std::size_t a = 0; a < site.applications.size(); ++a) {
      const Application& app = site.applications[a];
      const std::string key = application_key(s, a);
      check_path(app.physical_path, Kind::Directory, key + ".physical_path", app.pos, state);
      check_path(app.app_root, Kind::Directory, key + ".app_root", app.pos, state);
      for (std::size_t w = 0; w < app.writable.size(); ++w)
        check_path(app.writable[w], Kind::Directory, key + ".writable[" + std::to_string(w) + "]", app.pos, state);
    }
    for (std::size_t d = 0; d < site.virtual_directories.size(); ++d)
      check_path(site.virtual_directories[d].physical_path, Kind::Directory,
                 "sites[" + std::to_string(s) + "].virtual_directories[" + std::to_string(d) + "].physical_path",
                 site.virtual_directories[d].pos, state);
  }
}

}  // namespace gatehouse::config

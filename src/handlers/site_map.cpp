// Opening a site's physical roots, and the longest-prefix lookup of every request.
#include "handlers/site_map.hpp"

#include <algorithm>

namespace gatehouse::handlers {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

Result<Mount> make_mount(std::string prefix, const config::Application* app, const config::Path& physical,
                         const config::Site& site) {
  auto root = RootDir::open(physical);
  if (!root) {
    auto e = root.error();
    e.context = "[site " + site.name + "]";
    return std::unexpected(e);
  }
  if (prefix == "/") prefix.clear();
  return Mount{std::move(prefix), app, std::move(*root)};
}

// The application a virtual directory belongs to: the longest application prefix enclosing it.
const config::Application* enclosing_application(const config::Site& site, std::string_view path) {
  const config::Application* best = &site.root();
  std::size_t best_len = 0;
  for (const auto& app : site.applications) {
    std::string_view p = app.path == "/" ? std::string_view{} : std::string_view(app.path);
    bool inside = path.size() >= p.size() && iequals(path.substr(0, p.size()), p) &&
                  (path.size() == p.size() || path[p.size()] == '/');
    if (inside && p.size() >= best_len) best = &app, best_len = p.size();
  }
  return best;
}

}  // namespace

Result<SiteRoutes> open_site(const config::Site& site, std::size_t index) {
  SiteRoutes routes{&site, index, {}};
  for (const auto& app : site.applications) {
    auto m = make_mount(app.path, &app, app.physical_path, site);
    if (!m) return std::unexpected(m.error());
    routes.mounts.push_back(std::move(*m));
  }
  for (const auto& vd : site.virtual_directories) {
    auto m = make_mount(vd.path, enclosing_application(site, vd.path), vd.physical_path, site);
    if (!m) return std::unexpected(m.error());
    routes.mounts.push_back(std::move(*m));
  }
  std::stable_sort(routes.mounts.begin(), routes.mounts.end(),
                   [](const Mount& a, const Mount& b) { return a.prefix.size() > b.prefix.size(); });
  return routes;
}

MountMatch find_mount(const SiteRoutes& site, std::string_view path) {
  for (const auto& m : site.mounts) {
    const auto& p = m.prefix;
    if (path.size() < p.size() || !iequals(path.substr(0, p.size()), p)) continue;
    if (path.size() > p.size() && path[p.size()] != '/') continue;
    auto rel = path.substr(p.size());
    if (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    return {&m, rel};
  }
  return {};
}

}  // namespace gatehouse::handlers

// Router construction (opening roots) and the two lookups of every request.
#include "http/router.hpp"

#include <algorithm>

namespace gatehouse::http {
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
  auto root = handlers::RootDir::open(physical);
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

Result<SiteRoutes> make_site(const config::Site& site, std::size_t index) {
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

}  // namespace

std::string_view host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

Result<Router> Router::build(const config::Config& config) {
  Router router;
  for (std::size_t i = 0; i < config.sites.size(); ++i) {
    const auto& site = config.sites[i];
    auto routes = make_site(site, i);
    if (!routes) return std::unexpected(routes.error());
    router.sites_.push_back(std::move(*routes));
    for (const auto& b : site.bindings) {
      BindingRoute br;
      if (b.ip != "*") {
        boost::system::error_code ec;
        auto ip = boost::asio::ip::make_address(b.ip, ec);
        if (ec) return std::unexpected(Error::logic("parse binding", b.text, "invalid IP address"));
        br.ip = ip;
      }
      br.port = b.port;
      br.host.reserve(b.host.size());
      for (char c : b.host) br.host.push_back(lower(c));
      br.site = i;
      router.bindings_.push_back(std::move(br));
    }
  }
  return router;
}

const SiteRoutes* Router::find_site(const boost::asio::ip::address& local, std::uint16_t port,
                                    std::string_view host) const {
  host = host_without_port(host);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com." is the same name
  const BindingRoute* best = nullptr;
  int best_score = -1;
  for (const auto& b : bindings_) {
    if (b.port != port) continue;
    if (b.ip && *b.ip != local) continue;
    bool any_host = b.host == "*";
    if (!any_host && !iequals(b.host, host)) continue;
    int score = (any_host ? 0 : 2) + (b.ip ? 1 : 0);
    if (score > best_score) best = &b, best_score = score;
  }
  return best ? &sites_[best->site] : nullptr;
}

MountMatch Router::find_mount(const SiteRoutes& site, std::string_view path) {
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

std::vector<ListenAddress> Router::listen_addresses() const {
  std::vector<ListenAddress> out;
  auto add = [&](ListenAddress a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  for (const auto& b : bindings_) {
    if (b.ip) {
      add({*b.ip, b.port});
    } else {
      add({boost::asio::ip::address_v4::any(), b.port});
      add({boost::asio::ip::address_v6::any(), b.port});
    }
  }
  return out;
}

}  // namespace gatehouse::http

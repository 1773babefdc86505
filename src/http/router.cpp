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

}  // namespace

Result<Router> Router::build(const config::Config& config) {
  Router router;
  for (std::size_t i = 0; i < config.sites.size(); ++i) {
    const auto& site = config.sites[i];
    auto routes = handlers::open_site(site, i);
    if (!routes) return std::unexpected(routes.error());
    router.sites_.push_back(std::move(*routes));
    auto rules = rewrite::compile_site(site);
    if (!rules) {
      Error e = rules.error();
      e.context = "[site " + site.name + "]";
      return std::unexpected(std::move(e));
    }
    router.rewrite_.push_back(std::move(*rules));
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
  host = handlers::host_without_port(host);
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

// Routing: a connection's local address and the Host header to a site (by
// its bindings); the site's mounts (handlers/site_map.hpp) then give the
// application or virtual directory. Built once, immutable, shared by threads.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "handlers/request.hpp"
#include "handlers/site_map.hpp"
#include "rewrite/rules.hpp"

namespace gatehouse::http {

using handlers::Mount;
using handlers::MountMatch;
using handlers::SiteRoutes;

struct ListenAddress {
  boost::asio::ip::address ip;
  std::uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};

class Router {
 public:
  // Opens the physical root of every application and virtual directory.
  static Result<Router> build(const config::Config& config);

  // nullptr when no binding accepts this address, port and host: the caller
  // answers 400 (IIS: "Bad Request - Invalid Hostname"). Exact host beats
  // "*", then exact IP beats "*". `host` may carry a port; it is ignored.
  const SiteRoutes* find_site(const boost::asio::ip::address& local, std::uint16_t port, std::string_view host) const;

  // One per distinct ip:port of all bindings; "*" gives 0.0.0.0 and [::].
  std::vector<ListenAddress> listen_addresses() const;

  const std::vector<SiteRoutes>& sites() const { return sites_; }

  // The rewrite rules for a request routed to `app` of `site` (the site's,
  // then the application's, then its front controller); empty for none.
  const rewrite::CompiledRules& rewrite_rules(const SiteRoutes& site, const config::Application& app) const {
    return rewrite_[site.index][static_cast<std::size_t>(&app - site.site->applications.data())];
  }

 private:
  struct BindingRoute {
    std::optional<boost::asio::ip::address> ip;  // nullopt: any
    std::uint16_t port = 0;
    std::string host;  // lower case; "*" any
    std::size_t site = 0;
  };
  std::vector<BindingRoute> bindings_;
  std::vector<SiteRoutes> sites_;
  std::vector<std::vector<rewrite::CompiledRules>> rewrite_;  // per site, per application
};

}  // namespace gatehouse::http

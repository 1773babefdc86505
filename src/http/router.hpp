// Routing: a connection's local address and the Host header to a site (by
// its bindings), then the longest URL prefix to an application or virtual
// directory and its physical root. Built once, immutable, shared by threads.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "handlers/static_file.hpp"

namespace gatehouse::http {

// A URL prefix mapped to a physical root: an application or a virtual
// directory (served by the application that encloses it).
struct Mount {
  std::string prefix;  // "" for the site root, else "/blog" (no trailing slash)
  const config::Application* application = nullptr;
  handlers::RootDir root;
};

struct SiteRoutes {
  const config::Site* site = nullptr;
  std::size_t index = 0;      // position in Config::sites, for per-site state
  std::vector<Mount> mounts;  // longest prefix first
};

struct ListenAddress {
  boost::asio::ip::address ip;
  std::uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};

struct MountMatch {
  const Mount* mount = nullptr;
  std::string_view relative;  // below the mount's root, no leading slash
};

class Router {
 public:
  // Opens the physical root of every application and virtual directory.
  static Result<Router> build(const config::Config& config);

  // nullptr when no binding accepts this address, port and host: the caller
  // answers 400 (IIS: "Bad Request - Invalid Hostname"). Exact host beats
  // "*", then exact IP beats "*". `host` may carry a port; it is ignored.
  const SiteRoutes* find_site(const boost::asio::ip::address& local, std::uint16_t port,
                              std::string_view host) const;

  // Longest prefix on a segment boundary, case-insensitive as IIS matches
  // URLs: "/blog" takes "/blog" and "/Blog/x", not "/blogger".
  static MountMatch find_mount(const SiteRoutes& site, std::string_view canonical_path);

  // One per distinct ip:port of all bindings; "*" gives 0.0.0.0 and [::].
  std::vector<ListenAddress> listen_addresses() const;

  const std::vector<SiteRoutes>& sites() const { return sites_; }

 private:
  struct BindingRoute {
    std::optional<boost::asio::ip::address> ip;  // nullopt: any
    std::uint16_t port = 0;
    std::string host;  // lower case; "*" any
    std::size_t site = 0;
  };
  std::vector<BindingRoute> bindings_;
  std::vector<SiteRoutes> sites_;
};

// "Shop.Example:8080" -> "shop.example"; "[::1]:80" -> "[::1]".
std::string_view host_without_port(std::string_view host);

}  // namespace gatehouse::http

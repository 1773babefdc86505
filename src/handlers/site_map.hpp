// A site's URL space: each application and virtual directory is a URL prefix
// mapped to a physical root held open, with the application that serves it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "handlers/static_file.hpp"

namespace gatehouse::handlers {

// A URL prefix mapped to a physical root: an application or a virtual
// directory (served by the application that encloses it).
struct Mount {
  std::string prefix;  // "" for the site root, else "/blog" (no trailing slash)
  const config::Application* application = nullptr;
  RootDir root;
};

struct SiteRoutes {
  const config::Site* site = nullptr;
  std::size_t index = 0;      // position in Config::sites, for per-site state
  std::vector<Mount> mounts;  // longest prefix first
};

struct MountMatch {
  const Mount* mount = nullptr;
  std::string_view relative;  // below the mount's root, no leading slash
};

// Opens the physical root of every application and virtual directory of `site`.
Result<SiteRoutes> open_site(const config::Site& site, std::size_t index);

// Longest prefix on a segment boundary, case-insensitive as IIS matches
// URLs: "/blog" takes "/blog" and "/Blog/x", not "/blogger".
MountMatch find_mount(const SiteRoutes& site, std::string_view canonical_path);

}  // namespace gatehouse::handlers

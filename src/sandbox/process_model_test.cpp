// The process model table and the front's sandbox spec, from a configuration
// built in memory.
#include "sandbox/process_model.hpp"

#include <gtest/gtest.h>

namespace gatehouse::sandbox {
namespace {

config::Config two_sites() {
  config::Config c;
  c.server.log_dir = "/var/log/gh";
  c.server.state_dir = "/var/lib/gh";
  config::Pool shop;
  shop.name = "shop";
  config::Pool legacy;
  legacy.name = "legacy";
  legacy.identity = "www-legacy";
  legacy.ini.fastcgi_impersonate = true;
  c.pools = {shop, legacy};
  config::Site a;
  a.name = "a";
  config::Application root;
  root.path = "/";
  root.physical_path = "/srv/a";
  a.applications.push_back(root);
  config::VirtualDirectory images;
  images.path = "/images";
  images.physical_path = "/srv/shared/images";
  a.virtual_directories.push_back(images);
  config::Site b = a;  // shares the virtual directory: listed once
  b.name = "b";
  b.applications[0].physical_path = "/srv/b";
  c.sites = {a, b};
  return c;
}

TEST(ProcessModel, FrontSpecReadsServedRootsOnceAndWritesLogsSocketsBodies) {
  auto spec = front_sandbox_spec(two_sites(), 990, 991);
  EXPECT_EQ(spec.uid, 990u);
  EXPECT_EQ(spec.gid, 991u);
  EXPECT_EQ(spec.read, (std::vector<Path>{"/srv/a", "/srv/shared/images", "/srv/b"}));
  EXPECT_EQ(spec.write, (std::vector<Path>{"/var/log/gh", "/var/lib/gh/sockets", "/var/lib/gh/bodies"}));
}

TEST(ProcessModel, TableNamesEachProcessAccountCapabilitiesAndReach) {
  const std::string t = process_model_table(two_sites());
  for (const char* want :
       {"supervisor", "front", "worker", "gh-front", "CAP_SETUID, CAP_SETGID only",
        "read: /srv/a, /srv/shared/images, /srv/b", "write: /var/log/gh, /var/lib/gh/sockets, /var/lib/gh/bodies",
        "shop: its own account", "legacy: www-legacy (or the request identity: fastcgi.impersonate)"})
    EXPECT_NE(t.find(want), std::string::npos) << "missing \"" << want << "\" in:\n" << t;
}

TEST(ProcessModel, EachProcessSaysHowItRuns) {
  const std::string t = process_model_table(two_sites());
  auto line_of = [&](std::string_view process) { return t.substr(t.find("  " + std::string(process) + " "), 80); };
  EXPECT_NE(line_of("supervisor").find("[gatehouse serve, as root]"), std::string::npos) << t;
  EXPECT_NE(line_of("front").find("[exec'd by the supervisor"), std::string::npos) << t;
  EXPECT_NE(line_of("worker").find("[in place]"), std::string::npos) << t;
}

}  // namespace
}  // namespace gatehouse::sandbox

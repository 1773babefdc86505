// Configurations built in code for the perms tests (the shape of
// ../shared/examples/two-sites.toml), so tests do not depend on the loader.
#pragma once

#include "config/model.hpp"

namespace gatehouse::perms::testing_support {

inline config::Config two_sites() {
  config::Config c;
  c.source = "<test>";
  c.server.state_dir = "/var/lib/gatehouse";
  c.accounts.anonymous = "gh-iusr";
  config::Pool shop;
  shop.name = "shop";
  shop.php_ini = "/srv/shop/php.ini";
  shop.ini.file = shop.php_ini;
  shop.ini.error_log = "/srv/shop/logs/php_errors.log";
  shop.fastcgi.instance_max_requests = 10000;
  shop.fastcgi.monitor_changes_to = "/srv/shop/php.ini";
  shop.fastcgi.environment = {{"PHP_FCGI_MAX_REQUESTS", "10000"}};
  config::Pool blog;
  blog.name = "blog";
  blog.php_ini = "/srv/blog/php.ini";
  blog.ini.file = blog.php_ini;
  blog.ini.upload_tmp_dir = "/srv/blog/tmp";
  blog.ini.session_save_path = "/srv/blog/sessions";
  blog.ini.include_path = {".", "/usr/share/php", "/srv/blog/lib"};
  c.pools = {shop, blog};
  config::Site site;
  site.name = "shop";
  site.bindings = {
      config::Binding{"http", "127.0.0.1", 8081, "shop.localhost", "http://127.0.0.1:8081:shop.localhost"},
      config::Binding{"http", "127.0.0.1", 8081, "www.shop.localhost", "http://127.0.0.1:8081:www.shop.localhost"}};
  config::Application root;
  root.path = "/";
  root.app_root = "/srv/shop";
  root.physical_path = "/srv/shop/public";
  root.pool = "shop";
  root.writable = {"/srv/shop/data"};
  config::Application app;
  app.path = "/blog";
  app.app_root = "/srv/blog";
  app.physical_path = "/srv/blog/public";
  app.pool = "blog";
  site.applications = {root, app};
  site.virtual_directories = {config::VirtualDirectory{"/media", "/srv/media", {}}};
  c.sites = {site};
  return c;
}

}  // namespace gatehouse::perms::testing_support

// The summary `gatehouse check` prints, on the reference configuration.
#include "config/summary.hpp"

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

TEST(Summary, ReferenceFile) {
  testing::TempRoot root;
  const std::string r = root.str();
  for (auto dir : {"srv/shop/public", "srv/shop/data", "srv/blog/public", "srv/media"}) root.mkdir(dir);
  root.write("srv/shop/php.ini", "upload_tmp_dir = " + r + "/srv/shop/tmp\nsession.save_path = \"1;" + r +
                                     "/srv/shop/sess\"\nerror_log = " + r + "/srv/shop/php.log\n");
  root.write("srv/blog/php.ini", "fastcgi.impersonate = On\n");
  std::string text = testing::read_text(std::string{GH_SOURCE_DIR} + "/src/config/testdata/two-sites.toml");
  text = testing::replace_all(text, "\"/srv/", "\"" + r + "/srv/");
  text = testing::replace_all(text, "[[sites.applications]]",
                              "[sites.authentication.basic]\nenabled = true\n"
                              "realm = \"Shop\"\n[[sites.applications]]");
  const Config c = load_string(text, "gh.toml");
  const std::string expected = R"(configuration gh.toml
server: state_dir /var/lib/gatehouse, log_dir /var/log/gatehouse, threads one per core, shutdown_timeout 30s
limits: max_url_length 4096, max_query_string 2048, max_request_headers 16384, max_allowed_content_length 30000000, header_timeout 15s, keepalive_timeout 120s, body_timeout 60s
anonymous account: gh-iusr

site shop
  binding http://127.0.0.1:8081:shop.localhost
  binding http://127.0.0.1:8081:www.shop.localhost
  default documents: index.php, index.html
  PHP extensions: .php
  application /
    physical path R/srv/shop/public
    app root R/srv/shop
    pool shop
    anonymous: as gh-iusr (IUSR)
    basic authentication: realm "Shop"
    writable: R/srv/shop/data
  application /blog
    physical path R/srv/blog/public
    app root R/srv/blog
    pool blog
    anonymous: as gh-iusr (IUSR)
    basic authentication: realm "Shop"
  virtual directory /media -> R/srv/media

pool shop
  identity ApplicationPoolIdentity
  php-cgi /usr/bin/php-cgi
  php.ini R/srv/shop/php.ini
  umask 0007
  fastcgi:
    max_instances 4
    instance_max_requests 10000
    idle_timeout 300s
    activity_timeout 70s
    request_timeout 90s
    queue_length 1000
    rapid_fails_per_minute 10
    monitor_changes_to R/srv/shop/php.ini
    stderr_mode ReturnStdErrIn500
    signal_before_terminate 0s
    environment PHP_FCGI_MAX_REQUESTS=10000
  php.ini values:
    fastcgi.impersonate 0
    upload_tmp_dir R/srv/shop/tmp
    session.save_path R/srv/shop/sess
    error_log R/srv/shop/php.log
  sessions: files in R/srv/shop/sess

pool blog
  identity ApplicationPoolIdentity
  php-cgi /usr/bin/php-cgi
  php.ini R/srv/blog/php.ini
  umask 0007
  fastcgi:
    max_instances 4
    instance_max_requests 200
    idle_timeout 300s
    activity_timeout 70s
    request_timeout 90s
    queue_length 1000
    rapid_fails_per_minute 10
    monitor_changes_to (none)
    stderr_mode ReturnStdErrIn500
    signal_before_terminate 0s
  php.ini values:
    fastcgi.impersonate 1
    upload_tmp_dir (unset: PHP default)
    session.save_path (unset: PHP default)
    error_log (unset: stderr)
  sessions: files in /var/lib/php/sessions (PHP default)
)";
  EXPECT_EQ(summary(c), testing::replace_all(expected, " R/", " " + r + "/"));
}

TEST(Summary, PoolAnonymousAndDisabled) {
  const Config c = load_string(R"([[pools]]
name = "p"
identity = "www-data"
[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
[sites.authentication.anonymous]
user = "pool"
[[sites.applications]]
path = "/x"
physical_path = "/srv/x"
[sites.applications.authentication.anonymous]
enabled = false
)",
                               "t.toml", {.check_paths = false});
  const std::string s = summary(c);
  EXPECT_NE(s.find("  application /\n    physical path /srv/s\n    app root /srv/s\n    pool p\n"
                   "    anonymous: as the pool identity (pool p)\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("  application /x\n    physical path /srv/x\n    app root /srv/x\n    pool p\n"
                   "    anonymous: disabled\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("pool p\n  identity www-data\n"), std::string::npos) << s;
}

}  // namespace
}  // namespace gatehouse::config

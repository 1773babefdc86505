// Tests of the loader on the reference file and on defaults.
#include "config/load.hpp"

#include <gtest/gtest.h>

#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::TempRoot;

// The reference file with its /srv folders moved under `root`, which gets them.
std::string reference_in(const TempRoot& root) {
  for (auto dir : {"srv/shop/public", "srv/shop/data", "srv/blog/public", "srv/media"}) root.mkdir(dir);
  root.write("srv/shop/php.ini", "[PHP]\nupload_tmp_dir = " + root.str() + "/srv/shop/tmp\nsession.save_path = \"" +
                                     root.str() + "/srv/shop/sessions\"\nerror_log = " + root.str() +
                                     "/srv/shop/log/php.log\n");
  root.write("srv/blog/php.ini", "fastcgi.impersonate = 1\n");
  const std::string text = testing::read_text(std::string{GH_SOURCE_DIR} + "/src/config/testdata/two-sites.toml");
  return testing::replace_all(text, "\"/srv/", "\"" + root.str() + "/srv/");
}

TEST(Load, ReferenceFileEveryValue) {
  TempRoot root;
  const std::string r = root.str();
  const Config c = load_string(reference_in(root), "two-sites.toml");
  EXPECT_EQ(c.source, "two-sites.toml");
  EXPECT_EQ(c.server.state_dir, "/var/lib/gatehouse");
  EXPECT_EQ(c.server.log_dir, "/var/log/gatehouse");
  EXPECT_EQ(c.server.threads, 0u);
  EXPECT_EQ(c.server.shutdown_timeout, Seconds{30});
  EXPECT_EQ(c.server.limits.max_url_length, 4096u);
  EXPECT_EQ(c.server.limits.max_query_string, 2048u);
  EXPECT_EQ(c.server.limits.max_request_headers, 16384u);
  EXPECT_EQ(c.server.limits.max_allowed_content_length, 30'000'000u);
  EXPECT_EQ(c.server.limits.header_timeout, Seconds{15});
  EXPECT_EQ(c.server.limits.keepalive_timeout, Seconds{120});
  EXPECT_EQ(c.server.limits.body_timeout, Seconds{60});
  EXPECT_EQ(c.accounts.anonymous, "gh-iusr");

  ASSERT_EQ(c.pools.size(), 2u);
  const Pool& shop = c.pools[0];
  EXPECT_EQ(shop.name, "shop");
  EXPECT_TRUE(shop.uses_pool_identity());
  EXPECT_EQ(shop.php_cgi, "/usr/bin/php-cgi");
  EXPECT_EQ(shop.php_ini, r + "/srv/shop/php.ini");
  EXPECT_EQ(shop.umask, 007u);
  EXPECT_EQ(shop.pos.str(), "two-sites.toml:22:1");
  EXPECT_EQ(shop.fastcgi.max_instances, 4u);
  EXPECT_EQ(shop.fastcgi.instance_max_requests, 10000u);
  EXPECT_EQ(shop.fastcgi.idle_timeout, Seconds{300});
  EXPECT_EQ(shop.fastcgi.activity_timeout, Seconds{70});
  EXPECT_EQ(shop.fastcgi.request_timeout, Seconds{90});
  EXPECT_EQ(shop.fastcgi.queue_length, 1000u);
  EXPECT_EQ(shop.fastcgi.rapid_fails_per_minute, 10u);
  EXPECT_EQ(shop.fastcgi.monitor_changes_to, Path{r + "/srv/shop/php.ini"});
  EXPECT_EQ(shop.fastcgi.stderr_mode, StderrMode::ReturnStdErrIn500);
  EXPECT_EQ(shop.fastcgi.signal_before_terminate, Seconds{0});
  EXPECT_EQ(shop.fastcgi.environment,
            (std::vector<std::pair<std::string, std::string>>{{"PHP_FCGI_MAX_REQUESTS", "10000"}}));
  EXPECT_EQ(shop.ini.file, r + "/srv/shop/php.ini");
  EXPECT_FALSE(shop.ini.fastcgi_impersonate);
  EXPECT_EQ(shop.ini.upload_tmp_dir, Path{r + "/srv/shop/tmp"});
  EXPECT_EQ(shop.ini.session_save_path, Path{r + "/srv/shop/sessions"});
  EXPECT_EQ(shop.ini.error_log, Path{r + "/srv/shop/log/php.log"});

  const Pool& blog = c.pools[1];
  EXPECT_EQ(blog.name, "blog");
  EXPECT_EQ(blog.php_ini, r + "/srv/blog/php.ini");
  EXPECT_TRUE(blog.ini.fastcgi_impersonate);
  EXPECT_EQ(blog.ini.upload_tmp_dir, std::nullopt);
  EXPECT_EQ(blog.fastcgi.instance_max_requests, 200u);  // IIS defaults where absent
  EXPECT_EQ(blog.fastcgi.max_instances, 4u);
  EXPECT_EQ(blog.fastcgi.monitor_changes_to, std::nullopt);
  EXPECT_TRUE(blog.fastcgi.environment.empty());
  EXPECT_EQ(c.find_pool("blog"), &blog);
  EXPECT_EQ(c.find_pool("nope"), nullptr);

  ASSERT_EQ(c.sites.size(), 1u);
  const Site& site = c.sites[0];
  EXPECT_EQ(site.name, "shop");
  EXPECT_EQ(site.pos.str(), "two-sites.toml:48:1");
  ASSERT_EQ(site.bindings.size(), 2u);
  EXPECT_EQ(site.bindings[0].ip, "127.0.0.1");
  EXPECT_EQ(site.bindings[0].port, 8081);
  EXPECT_EQ(site.bindings[0].host, "shop.localhost");
  EXPECT_EQ(site.bindings[1].host, "www.shop.localhost");
  EXPECT_EQ(site.bindings[1].text, "http://127.0.0.1:8081:www.shop.localhost");
  EXPECT_EQ(site.default_documents, (std::vector<std::string>{"index.php", "index.html"}));
  EXPECT_EQ(site.php_extensions, (std::vector<std::string>{".php"}));

  ASSERT_EQ(site.applications.size(), 2u);
  const Application& root_app = site.root();
  EXPECT_EQ(root_app.path, "/");
  EXPECT_EQ(root_app.app_root, r + "/srv/shop");
  EXPECT_EQ(root_app.physical_path, r + "/srv/shop/public");
  EXPECT_EQ(root_app.pool, "shop");
  EXPECT_EQ(root_app.writable, (std::vector<Path>{r + "/srv/shop/data"}));
  EXPECT_TRUE(root_app.authentication.anonymous_enabled);
  EXPECT_EQ(root_app.authentication.anonymous_user, AnonymousUser::Iusr);
  EXPECT_FALSE(root_app.authentication.basic_enabled);

  const Application& blog_app = site.applications[1];
  EXPECT_EQ(blog_app.path, "/blog");
  EXPECT_EQ(blog_app.app_root, r + "/srv/blog");
  EXPECT_EQ(blog_app.physical_path, r + "/srv/blog/public");
  EXPECT_EQ(blog_app.pool, "blog");
  EXPECT_TRUE(blog_app.writable.empty());
  EXPECT_EQ(blog_app.authentication.anonymous_user, AnonymousUser::Iusr);  // inherited
  EXPECT_EQ(blog_app.pos.str(), "two-sites.toml:61:1");

  ASSERT_EQ(site.virtual_directories.size(), 1u);
  EXPECT_EQ(site.virtual_directories[0].path, "/media");
  EXPECT_EQ(site.virtual_directories[0].physical_path, r + "/srv/media");
  EXPECT_EQ(site.virtual_directories[0].pos.str(), "two-sites.toml:67:1");
  EXPECT_EQ(c.find_site("shop"), &site);
}

TEST(Load, ReferenceFileWithoutPathChecksAsShipped) {
  const std::string text = testing::read_text(std::string{GH_SOURCE_DIR} + "/src/config/testdata/two-sites.toml");
  const Config c = load_string(text, "two-sites.toml", {.check_paths = false});
  EXPECT_EQ(c.sites[0].root().physical_path, "/srv/shop/public");
  EXPECT_EQ(c.pools[0].ini.file, "/srv/shop/php.ini");  // not there: not read
}

TEST(Load, LoadFileNamesTheFileInMessages) {
  TempRoot root;
  const auto file = root.write("gh.toml", reference_in(root));
  const Config c = load_file(file);
  EXPECT_EQ(c.source, file);
  EXPECT_EQ(c.pools[0].pos.str(), file.string() + ":22:1");

  const auto bad = root.write("bad.toml", "[server]\nthreads = -1\n");
  EXPECT_THROW(
      {
        try {
          load_file(bad);
        } catch (const ConfigError& e) {
          EXPECT_STREQ(e.what(),
                       (bad.string() + ":2:11: key 'server.threads': expected a non-negative integer, got -1").c_str());
          throw;
        }
      },
      ConfigError);
}

TEST(Load, UnreadableFile) {
  try {
    load_file("/nonexistent/gh.toml");
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/gh.toml: cannot read the configuration file: No such file or directory");
  }
  try {
    load_file("/tmp");
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/tmp: cannot read the configuration file: it is a directory");
  }
}

TEST(Load, DefaultsOfAMinimalFile) {
  const Config c = load_string(R"(
[[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s/"
pool = "p"
)",
                               "t.toml", {.check_paths = false});
  const Server defaults;
  EXPECT_EQ(c.server.state_dir, defaults.state_dir);
  EXPECT_EQ(c.server.shutdown_timeout, Seconds{30});
  EXPECT_EQ(c.server.limits.max_allowed_content_length, 30'000'000u);
  EXPECT_EQ(c.accounts.anonymous, "gh-iusr");
  const Pool& p = c.pools[0];
  EXPECT_EQ(p.identity, "ApplicationPoolIdentity");
  EXPECT_EQ(p.php_cgi, "/usr/bin/php-cgi");
  EXPECT_TRUE(p.php_ini.empty());
  EXPECT_TRUE(p.ini.file.empty());
  EXPECT_EQ(p.ini.upload_tmp_dir, std::nullopt);
  EXPECT_EQ(p.umask, 007u);
  EXPECT_EQ(p.fastcgi.max_instances, 4u);
  EXPECT_EQ(p.fastcgi.instance_max_requests, 200u);
  EXPECT_EQ(p.fastcgi.idle_timeout, Seconds{300});
  EXPECT_EQ(p.fastcgi.activity_timeout, Seconds{70});
  EXPECT_EQ(p.fastcgi.request_timeout, Seconds{90});
  EXPECT_EQ(p.fastcgi.queue_length, 1000u);
  EXPECT_EQ(p.fastcgi.rapid_fails_per_minute, 10u);
  EXPECT_EQ(p.fastcgi.stderr_mode, StderrMode::ReturnStdErrIn500);
  const Site& s = c.sites[0];
  EXPECT_EQ(s.default_documents, (std::vector<std::string>{"index.php", "index.html", "index.htm", "default.htm"}));
  EXPECT_EQ(s.php_extensions, (std::vector<std::string>{".php"}));
  ASSERT_EQ(s.applications.size(), 1u);
  EXPECT_EQ(s.root().physical_path, "/srv/s");  // trailing '/' dropped
  EXPECT_EQ(s.root().app_root, "/srv/s");       // defaults to the physical path
  EXPECT_TRUE(s.root().authentication.anonymous_enabled);
  EXPECT_EQ(s.root().authentication.anonymous_user, AnonymousUser::Iusr);
}

TEST(Load, EverySettingGiven) {
  const Config c = load_string(R"(
[server]
threads = 8
shutdown_timeout = "1m"
[server.limits]
body_timeout = "2000ms"
[accounts]
anonymous = "web-anon"
[[pools]]
name = "p"
identity = "www-data"
umask = "027"
[pools.fastcgi]
signal_before_terminate = "5s"
stderr_mode = "TerminateProcess"
[[pools]]
name = "q"
umask = 0o077
[[sites]]
name = "s"
bindings = ["http://[::1]:8080:*"]
physical_path = "/srv/s"
pool = "p"
php_extensions = [".php", ".phtml"]
[sites.authentication.anonymous]
user = "pool"
[sites.authentication.basic]
enabled = true
realm = "Staff"
[[sites.applications]]
path = "/admin"
physical_path = "/srv/admin"
[sites.applications.authentication.anonymous]
enabled = false
)",
                               "t.toml", {.check_paths = false});
  EXPECT_EQ(c.server.threads, 8u);
  EXPECT_EQ(c.server.shutdown_timeout, Seconds{60});
  EXPECT_EQ(c.server.limits.body_timeout, Seconds{2});
  EXPECT_EQ(c.accounts.anonymous, "web-anon");
  EXPECT_EQ(c.pools[0].identity, "www-data");
  EXPECT_FALSE(c.pools[0].uses_pool_identity());
  EXPECT_EQ(c.pools[0].umask, 027u);
  EXPECT_EQ(c.pools[0].fastcgi.signal_before_terminate, Seconds{5});
  EXPECT_EQ(c.pools[0].fastcgi.stderr_mode, StderrMode::TerminateProcess);
  EXPECT_EQ(c.pools[1].umask, 077u);
  const Site& s = c.sites[0];
  EXPECT_EQ(s.bindings[0].ip, "::1");
  EXPECT_EQ(s.php_extensions, (std::vector<std::string>{".php", ".phtml"}));
  EXPECT_EQ(s.root().authentication.anonymous_user, AnonymousUser::Pool);
  EXPECT_TRUE(s.root().authentication.basic_enabled);
  EXPECT_EQ(s.root().authentication.basic_realm, "Staff");
  // The application inherits field by field: its own 'enabled', the site's user and basic settings.
  const Application& admin = s.applications[1];
  EXPECT_EQ(admin.pool, "p");
  EXPECT_EQ(admin.app_root, "/srv/admin");
  EXPECT_FALSE(admin.authentication.anonymous_enabled);
  EXPECT_EQ(admin.authentication.anonymous_user, AnonymousUser::Pool);
  EXPECT_TRUE(admin.authentication.basic_enabled);
  EXPECT_EQ(admin.authentication.basic_realm, "Staff");
}

TEST(Load, PhpEnvironmentZeroMeansNoLimit) {
  EXPECT_EQ(testing::problems_of(R"([[pools]]
name = "p"
[pools.fastcgi]
instance_max_requests = 10000
[pools.fastcgi.environment]
PHP_FCGI_MAX_REQUESTS = 0
OTHER = "x"
)"),
            std::vector<std::string>{"loaded"});
}

}  // namespace
}  // namespace gatehouse::config

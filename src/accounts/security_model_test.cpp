// Every row of design.md's table "The security model", through the real
// configuration loader and real php.ini files.
#include "accounts/security_model.hpp"

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/test_support.hpp"

namespace gatehouse::accounts {
namespace {

using config::testing::TempRoot;

struct Setup {
  std::string anonymous_user = "IUSR";  // or "pool"
  std::string impersonate = "0";        // "" leaves it out of php.ini
  bool basic = true;
  bool anonymous_enabled = true;
  std::string blog_identity = "ApplicationPoolIdentity";
};

// Site "shop" (pool shop) with an application /blog in pool blog; both pools
// read the same impersonation setting from their own php.ini.
config::Config load(const TempRoot& root, const Setup& s) {
  root.mkdir("shop/public");
  root.mkdir("blog/public");
  const std::string ini =
      s.impersonate.empty() ? "memory_limit = 64M\n" : "fastcgi.impersonate = " + s.impersonate + "\n";
  root.write("shop/php.ini", ini);
  root.write("blog/php.ini", ini);
  const std::string r = root.str();
  const std::string text =
      "[accounts]\nanonymous = \"gh-iusr\"\n"
      "[[pools]]\nname = \"shop\"\nphp_ini = \"" +
      r +
      "/shop/php.ini\"\n"
      "[[pools]]\nname = \"blog\"\nidentity = \"" +
      s.blog_identity + "\"\nphp_ini = \"" + r +
      "/blog/php.ini\"\n"
      "[[sites]]\nname = \"shop\"\nbindings = [\"http://127.0.0.1:8081:*\"]\n"
      "physical_path = \"" +
      r +
      "/shop/public\"\npool = \"shop\"\n"
      "[sites.authentication.anonymous]\nenabled = " +
      (s.anonymous_enabled ? "true" : "false") + "\nuser = \"" + s.anonymous_user +
      "\"\n"
      "[sites.authentication.basic]\nenabled = " +
      (s.basic ? "true" : "false") +
      "\nrealm = \"Shop\"\n"
      "[[sites.applications]]\npath = \"/blog\"\nphysical_path = \"" +
      r + "/blog/public\"\npool = \"blog\"\n";
  return config::load_string(text, "t.toml");
}

RequestIdentities resolve(const config::Config& c, std::size_t app, std::optional<std::string_view> user) {
  const config::Site& site = c.sites.at(0);
  auto ids = resolve_request_identities(c, site, site.applications.at(app), user);
  if (!ids) throw std::runtime_error(ids.error().message());
  return *ids;
}

TEST(SecurityModel, AnonymousIusrImpersonationOff) {
  TempRoot root;
  const auto c = load(root, {.anonymous_user = "IUSR", .impersonate = "0"});
  const auto ids = resolve(c, 0, std::nullopt);
  EXPECT_EQ(ids.static_as, "gh-iusr");
  EXPECT_EQ(ids.php_as, "gh-pool-shop");
  EXPECT_EQ(ids.worker, (WorkerKey{"shop", "gh-pool-shop"}));
  EXPECT_FALSE(ids.impersonate);
  EXPECT_FALSE(ids.authenticated);
  EXPECT_EQ(ids.request_why,
            "anonymous user = IUSR (sites[0].authentication.anonymous.user) -> gh-iusr ([accounts] anonymous)");
  EXPECT_EQ(ids.php_why, "fastcgi.impersonate = 0 in " + root.str() +
                             "/shop/php.ini -> PHP runs as the pool identity gh-pool-shop (pool shop, "
                             "ApplicationPoolIdentity)");
}

TEST(SecurityModel, AnonymousIusrImpersonationOn) {
  TempRoot root;
  const auto c = load(root, {.anonymous_user = "IUSR", .impersonate = "1"});
  const auto ids = resolve(c, 0, std::nullopt);
  EXPECT_EQ(ids.static_as, "gh-iusr");
  EXPECT_EQ(ids.php_as, "gh-iusr");
  EXPECT_EQ(ids.worker, (WorkerKey{"shop", "gh-iusr"}));
  EXPECT_TRUE(ids.impersonate);
  EXPECT_EQ(ids.php_why,
            "fastcgi.impersonate = 1 in " + root.str() + "/shop/php.ini -> PHP runs as the request identity gh-iusr");
}

TEST(SecurityModel, AnonymousPoolIdentityEitherImpersonation) {
  for (std::string imp : {"0", "1"}) {
    TempRoot root;
    const auto c = load(root, {.anonymous_user = "pool", .impersonate = imp});
    const auto ids = resolve(c, 0, std::nullopt);
    EXPECT_EQ(ids.static_as, "gh-pool-shop") << imp;
    EXPECT_EQ(ids.php_as, "gh-pool-shop") << imp;
    EXPECT_EQ(ids.worker, (WorkerKey{"shop", "gh-pool-shop"})) << imp;
    EXPECT_EQ(ids.impersonate, imp == "1");
    EXPECT_EQ(ids.request_why,
              "anonymous user = pool (sites[0].authentication.anonymous.user) -> the pool "
              "identity gh-pool-shop (pool shop, ApplicationPoolIdentity)");
  }
}

TEST(SecurityModel, AuthenticatedUserImpersonationOn) {
  TempRoot root;
  const auto c = load(root, {.impersonate = "1"});
  const auto ids = resolve(c, 0, "alice");
  EXPECT_EQ(ids.static_as, "alice");
  EXPECT_EQ(ids.php_as, "alice");
  EXPECT_EQ(ids.worker, (WorkerKey{"shop", "alice"}));
  EXPECT_TRUE(ids.authenticated);
  EXPECT_EQ(ids.request_why, "authenticated user alice (basic authentication, sites[0].authentication.basic)");
}

TEST(SecurityModel, AuthenticatedUserImpersonationOff) {
  TempRoot root;
  const auto c = load(root, {.impersonate = "0"});
  const auto ids = resolve(c, 0, "alice");
  EXPECT_EQ(ids.static_as, "alice");
  EXPECT_EQ(ids.php_as, "gh-pool-shop");
  EXPECT_EQ(ids.worker, (WorkerKey{"shop", "gh-pool-shop"}));
}

// The anonymous user setting does not matter once a user authenticated.
TEST(SecurityModel, AuthenticatedUserIgnoresAnonymousUserSetting) {
  TempRoot root;
  const auto c = load(root, {.anonymous_user = "pool", .impersonate = "1"});
  const auto ids = resolve(c, 0, "alice");
  EXPECT_EQ(ids.static_as, "alice");
  EXPECT_EQ(ids.php_as, "alice");
}

TEST(SecurityModel, ImpersonationDefaultsToOffWhenPhpIniOmitsIt) {
  TempRoot root;
  const auto c = load(root, {.impersonate = ""});
  const auto ids = resolve(c, 0, std::nullopt);
  EXPECT_EQ(ids.php_as, "gh-pool-shop");
  EXPECT_EQ(ids.impersonate_why, "fastcgi.impersonate = 0 (not set in " + root.str() + "/shop/php.ini; PHP's default)");
}

// An application in its own pool uses that pool's identity and php.ini, and
// names its own settings (inherited from the site unless it overrides them).
TEST(SecurityModel, ApplicationUsesItsOwnPool) {
  TempRoot root;
  const auto c = load(root, {.anonymous_user = "pool", .impersonate = "0", .blog_identity = "nobody"});
  const auto ids = resolve(c, 1, std::nullopt);
  EXPECT_EQ(ids.static_as, "nobody");
  EXPECT_EQ(ids.php_as, "nobody");
  EXPECT_EQ(ids.worker, (WorkerKey{"blog", "nobody"}));
  EXPECT_EQ(ids.request_why,
            "anonymous user = pool (sites[0].applications[0].authentication.anonymous.user) -> "
            "the pool identity nobody (pool blog, identity = \"nobody\")");
}

TEST(SecurityModel, AnonymousDisabledNeedsCredentials) {
  TempRoot root;
  const auto c = load(root, {.anonymous_enabled = false});
  const config::Site& site = c.sites[0];
  auto ids = resolve_request_identities(c, site, site.root(), std::nullopt);
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().errnum, EACCES);
  EXPECT_EQ(ids.error().message(),
            "[site shop] authorize / failed: Permission denied: anonymous access is disabled "
            "(sites[0].authentication.anonymous.enabled = false); credentials needed");
  EXPECT_TRUE(resolve_request_identities(c, site, site.root(), "alice"));
}

TEST(SecurityModel, UserRefusedWhenBasicAuthenticationIsOff) {
  TempRoot root;
  const auto c = load(root, {.basic = false});
  const config::Site& site = c.sites[0];
  auto ids = resolve_request_identities(c, site, site.root(), "alice");
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().errnum, EACCES);
}

TEST(SecurityModel, UnknownPoolIsAnError) {
  TempRoot root;
  auto c = load(root, {});
  config::Application app = c.sites[0].root();
  app.pool = "nope";
  auto ids = resolve_request_identities(c, c.sites[0], app, std::nullopt);
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().errnum, EINVAL);
}

TEST(IdentityTable, NamesAccountsAndReasonsPerApplication) {
  TempRoot root;
  const auto c = load(root, {.anonymous_user = "IUSR", .impersonate = "1"});
  const std::string r = root.str();
  EXPECT_EQ(identity_table(c),
            "site shop\n"
            "  application / (pool shop, " +
                r +
                "/shop/public)\n"
                "    anonymous: static files read as gh-iusr, PHP runs as gh-iusr\n"
                "      because anonymous user = IUSR (sites[0].authentication.anonymous.user) -> gh-iusr "
                "([accounts] anonymous)\n"
                "      and fastcgi.impersonate = 1 in " +
                r +
                "/shop/php.ini -> PHP runs as the request identity gh-iusr\n"
                "    authenticated user U: static files read as U, PHP runs as U\n"
                "      because authenticated user U (basic authentication, sites[0].authentication.basic)\n"
                "      and fastcgi.impersonate = 1 in " +
                r +
                "/shop/php.ini -> PHP runs as the request identity U\n"
                "  application /blog (pool blog, " +
                r +
                "/blog/public)\n"
                "    anonymous: static files read as gh-iusr, PHP runs as gh-iusr\n"
                "      because anonymous user = IUSR "
                "(sites[0].applications[0].authentication.anonymous.user) -> gh-iusr ([accounts] anonymous)\n"
                "      and fastcgi.impersonate = 1 in " +
                r +
                "/blog/php.ini -> PHP runs as the request identity gh-iusr\n"
                "    authenticated user U: static files read as U, PHP runs as U\n"
                "      because authenticated user U (basic authentication, "
                "sites[0].applications[0].authentication.basic)\n"
                "      and fastcgi.impersonate = 1 in " +
                r + "/blog/php.ini -> PHP runs as the request identity U\n");
}

TEST(IdentityTable, SaysWhenNothingIsAllowed) {
  TempRoot root;
  const auto c = load(root, {.basic = false, .anonymous_enabled = false});
  const std::string table = identity_table(c);
  EXPECT_NE(table.find("    anonymous: refused (anonymous access is disabled)\n"), std::string::npos) << table;
  EXPECT_NE(table.find("warning: no authentication is enabled"), std::string::npos) << table;
}

}  // namespace
}  // namespace gatehouse::accounts

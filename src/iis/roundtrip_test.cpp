// Round trip: a configuration -> `perms export --target windows` (appcmd) ->
// the applicationHost.config that script leaves -> `import iis` -> the same
// pools, sites, bindings, applications, FastCGI settings and anonymous users.
// Over the reference configuration and a seeded, bounded set of generated ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "config/load.hpp"
#include "iis/appcmd.hpp"
#include "iis/import.hpp"
#include "iis/test_support.hpp"
#include "perms/export_windows.hpp"
#include "perms/plan.hpp"
#include "perms/test_config.hpp"

namespace gatehouse::iis {
namespace {

struct RoundTrip {
  config::Config config;
  ImportResult result;
};

RoundTrip round_trip(const config::Config& original) {
  const std::string script = perms::export_windows(original, perms::make_plan(original), {});
  auto xml_text = replay_appcmd(script);
  EXPECT_TRUE(xml_text) << xml_text.error();
  auto xml = parse_xml("exported.config", xml_text.value_or("<configuration/>"));
  EXPECT_TRUE(xml) << xml.error().str();
  ImportOptions options;
  EXPECT_TRUE(options.paths.add(R"(C:\inetpub\gatehouse=/)"));
  options.php_cgi = original.pools.empty() ? "/usr/bin/php-cgi" : original.pools[0].php_cgi.string();
  for (const auto& p : original.pools)
    if (!p.uses_pool_identity()) {
      EXPECT_TRUE(add_user_map(options, p.identity + "=" + p.identity));
    }
  RoundTrip out{{}, import_iis(**xml, {}, options)};
  try {
    out.config = config::load_string(out.result.toml, "imported.toml", {.check_paths = false});
  } catch (const config::ConfigError& e) {
    ADD_FAILURE() << e.what() << "\n" << out.result.toml;
  }
  return out;
}

// php-cgi gets PHP_FCGI_MAX_REQUESTS = instance_max_requests when it is not set
// (pool/spawner.cpp), and the export writes that out: both forms are equal.
std::vector<std::pair<std::string, std::string>> environment(const config::FastCgi& f) {
  auto env = f.environment;
  if (std::none_of(env.begin(), env.end(), [](auto& kv) { return kv.first == "PHP_FCGI_MAX_REQUESTS"; }))
    env.emplace_back("PHP_FCGI_MAX_REQUESTS", std::to_string(f.instance_max_requests));
  std::sort(env.begin(), env.end());  // a set of variables; TOML tables have no order
  return env;
}

void expect_equivalent(const config::Config& a, const config::Config& b, const std::string& toml) {
  SCOPED_TRACE(toml);
  ASSERT_EQ(a.pools.size(), b.pools.size());
  for (const auto& pa : a.pools) {
    const config::Pool* pb = b.find_pool(pa.name);
    ASSERT_NE(pb, nullptr) << pa.name;
    EXPECT_EQ(pa.identity, pb->identity);
    EXPECT_EQ(pa.php_cgi, pb->php_cgi);
    EXPECT_EQ(pa.php_ini, pb->php_ini);
    const auto &fa = pa.fastcgi, &fb = pb->fastcgi;
    EXPECT_EQ(fa.max_instances, fb.max_instances);
    EXPECT_EQ(fa.instance_max_requests, fb.instance_max_requests);
    EXPECT_EQ(fa.idle_timeout, fb.idle_timeout);
    EXPECT_EQ(fa.activity_timeout, fb.activity_timeout);
    EXPECT_EQ(fa.request_timeout, fb.request_timeout);
    EXPECT_EQ(fa.queue_length, fb.queue_length);
    EXPECT_EQ(fa.rapid_fails_per_minute, fb.rapid_fails_per_minute);
    EXPECT_EQ(fa.monitor_changes_to, fb.monitor_changes_to);
    EXPECT_EQ(fa.stderr_mode, fb.stderr_mode);
    EXPECT_EQ(fa.signal_before_terminate, fb.signal_before_terminate);
    EXPECT_EQ(environment(fa), environment(fb));
  }
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (std::size_t s = 0; s < a.sites.size(); ++s) {
    const auto &sa = a.sites[s], &sb = b.sites[s];
    EXPECT_EQ(sa.name, sb.name);
    ASSERT_EQ(sa.bindings.size(), sb.bindings.size());
    for (std::size_t i = 0; i < sa.bindings.size(); ++i) {
      EXPECT_EQ(sa.bindings[i].ip, sb.bindings[i].ip);
      EXPECT_EQ(sa.bindings[i].port, sb.bindings[i].port);
      EXPECT_EQ(sa.bindings[i].host, sb.bindings[i].host);
    }
    ASSERT_EQ(sa.applications.size(), sb.applications.size());
    for (std::size_t i = 0; i < sa.applications.size(); ++i) {
      const auto &x = sa.applications[i], &y = sb.applications[i];
      EXPECT_EQ(x.path, y.path);
      EXPECT_EQ(x.physical_path, y.physical_path);
      EXPECT_EQ(x.pool, y.pool);
      EXPECT_EQ(x.authentication.anonymous_enabled, y.authentication.anonymous_enabled);
      EXPECT_EQ(x.authentication.anonymous_user, y.authentication.anonymous_user);
    }
    ASSERT_EQ(sa.virtual_directories.size(), sb.virtual_directories.size());
    for (std::size_t i = 0; i < sa.virtual_directories.size(); ++i) {
      EXPECT_EQ(sa.virtual_directories[i].path, sb.virtual_directories[i].path);
      EXPECT_EQ(sa.virtual_directories[i].physical_path, sb.virtual_directories[i].physical_path);
    }
  }
}

TEST(RoundTrip, ReferenceConfiguration) {
  const auto original = perms::testing_support::two_sites();
  const auto back = round_trip(original);
  expect_equivalent(original, back.config, back.result.toml);
  EXPECT_EQ(back.result.report.count(Outcome::NotMapped), 0u) << format_text(back.result.report);
}

// A random but valid configuration: every pool used, each with its own php.ini
// (IIS keys FastCGI applications by php-cgi path and arguments, so two pools
// without their own php.ini are one FastCGI application there).
config::Config generate(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  config::Config c;
  const int pools = pick(1, 3);
  for (int p = 0; p < pools; ++p) {
    config::Pool pool;
    pool.name = "pool" + std::to_string(p) + (pick(0, 1) ? "-x.y" : "");
    if (pick(0, 3) == 0) pool.identity = "svc" + std::to_string(p);
    pool.php_ini = "/srv/p" + std::to_string(p) + "/php.ini";
    auto& f = pool.fastcgi;
    f.max_instances = static_cast<unsigned>(pick(1, 64));
    f.instance_max_requests = static_cast<unsigned>(pick(1, 100000));
    f.idle_timeout = config::Seconds{pick(1, 3600)};
    f.activity_timeout = config::Seconds{pick(1, 600)};
    f.request_timeout = config::Seconds{pick(1, 600)};
    f.queue_length = static_cast<unsigned>(pick(0, 5000));
    f.rapid_fails_per_minute = static_cast<unsigned>(pick(0, 100));
    f.stderr_mode = static_cast<config::StderrMode>(pick(0, 3));
    f.signal_before_terminate = config::Seconds{pick(0, 30)};
    if (pick(0, 1)) f.monitor_changes_to = pool.php_ini;
    for (int e = pick(0, 2); e > 0; --e)
      f.environment.emplace_back("VAR_" + std::to_string(e), "v " + std::to_string(pick(0, 999)) + "/x%y");
    if (pick(0, 1)) f.environment.emplace_back("PHP_FCGI_MAX_REQUESTS", std::to_string(f.instance_max_requests));
    c.pools.push_back(pool);
  }
  const char* ips[] = {"*", "127.0.0.1", "10.1.2.3", "::1"};
  const int sites = pick(1, 3);
  int used = 0;
  for (int s = 0; s < sites; ++s) {
    config::Site site;
    site.name = "site" + std::to_string(s);
    for (int b = pick(1, 3); b > 0; --b) {
      config::Binding binding;
      binding.ip = ips[pick(0, 3)];
      binding.port = static_cast<std::uint16_t>(1 + (s * 3 + b) * 1000 + pick(0, 999));  // unique per binding
      binding.host = pick(0, 2) ? "h" + std::to_string(b) + ".site" + std::to_string(s) + ".example" : "*";
      site.bindings.push_back(binding);
    }
    const int apps = pick(1, 3);
    for (int a = 0; a < apps; ++a) {
      config::Application app;
      app.path = a == 0 ? "/" : "/app" + std::to_string(a) + (pick(0, 1) ? "/sub" : "");
      app.physical_path = "/srv/s" + std::to_string(s) + "/a" + std::to_string(a) + (pick(0, 1) ? "/public dir" : "");
      app.app_root = app.physical_path;
      app.pool = c.pools[static_cast<std::size_t>(used++ < pools ? used - 1 : pick(0, pools - 1))].name;
      app.authentication.anonymous_enabled = pick(0, 4) != 0;
      app.authentication.anonymous_user = pick(0, 1) ? config::AnonymousUser::Iusr : config::AnonymousUser::Pool;
      site.applications.push_back(app);
    }
    for (int d = pick(0, 2); d > 0; --d)
      site.virtual_directories.push_back(
          {"/media" + std::to_string(d), "/srv/media/" + std::to_string(s * 10 + d), {}});
    c.sites.push_back(site);
  }
  // Pools no site uses are not part of an IIS set-up that serves anything.
  std::erase_if(c.pools, [&](const config::Pool& p) {
    for (const auto& site : c.sites)
      for (const auto& app : site.applications)
        if (app.pool == p.name) return false;
    return true;
  });
  return c;
}

TEST(RoundTrip, GeneratedConfigurations) {
  std::mt19937 rng(20240614);  // fixed seed: a failure reproduces
  for (int i = 0; i < 150; ++i) {
    const auto original = generate(rng);
    SCOPED_TRACE("generated configuration " + std::to_string(i));
    const auto back = round_trip(original);
    expect_equivalent(original, back.config, back.result.toml);
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace gatehouse::iis

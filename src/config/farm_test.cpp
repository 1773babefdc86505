// The farm keys: trusted_proxies, proxy_protocol and forwarded_headers,
// pinned uids and gids, [node], and phpredis session stores in php.ini.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/networks.hpp"
#include "config/php_ini.hpp"
#include "config/summary.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

constexpr std::string_view kBase = R"([[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)";

Config load(std::string_view text) { return load_string(text, "t.toml", {.check_paths = false}); }

bool in_range(const IpRange& r, const char* ip) {
  std::uint8_t b[16] = {};
  const int family = ::inet_pton(AF_INET, ip, b) == 1 ? AF_INET : (::inet_pton(AF_INET6, ip, b), AF_INET6);
  return r.contains(family, b);
}

TEST(Farm, IpRanges) {
  auto net = parse_ip_range("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(in_range(*net, "10.200.3.4"));
  EXPECT_FALSE(in_range(*net, "11.0.0.1"));
  EXPECT_FALSE(in_range(*net, "::ffff:10.0.0.1"));  // another family is never a match
  auto one = parse_ip_range("127.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_TRUE(in_range(*one, "127.0.0.1"));
  EXPECT_FALSE(in_range(*one, "127.0.0.2"));
  auto v6 = parse_ip_range("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(in_range(*v6, "fd12::1"));
  EXPECT_FALSE(in_range(*v6, "fe80::1"));
  auto all = parse_ip_range("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(in_range(*all, "8.8.8.8"));
  auto odd = parse_ip_range("10.0.0.0/12");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(in_range(*odd, "10.15.255.255"));
  EXPECT_FALSE(in_range(*odd, "10.16.0.0"));
  EXPECT_FALSE(parse_ip_range("10.1.2.3/8"));  // host bits set
  EXPECT_FALSE(parse_ip_range("10.0.0.0/33"));
  EXPECT_FALSE(parse_ip_range("lb.example"));
  EXPECT_FALSE(parse_ip_range("10.0.0.0/"));
}

TEST(Farm, TrustedProxiesAndProxyProtocol) {
  const Config c = load(std::string{"[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n"} +
                        std::string{kBase} + "proxy_protocol = true\nforwarded_headers = true\n");
  ASSERT_EQ(c.server.trusted_proxies.size(), 2u);
  EXPECT_EQ(c.server.trusted_proxies[1].text, "10.0.0.0/8");
  EXPECT_TRUE(c.sites[0].proxy_protocol);
  EXPECT_TRUE(c.sites[0].forwarded_headers);
  EXPECT_FALSE(load(kBase).sites[0].proxy_protocol);  // off by default
}

TEST(Farm, ProxyProtocolProblems) {
  EXPECT_EQ(problems_of(std::string{kBase} + "proxy_protocol = true\n"),
            Lines{"t.toml:9:18: key 'sites[0].proxy_protocol': proxy_protocol = true needs [server] trusted_proxies "
                  "(the balancers' addresses)"});
  EXPECT_EQ(problems_of("[server]\ntrusted_proxies = [\"10.1.2.3/8\", \"x\"]\n"),
            (Lines{"t.toml:2:20: key 'server.trusted_proxies[0]': expected a network whose host bits are zero (like "
                   "\"10.0.0.0/8\"), got \"10.1.2.3/8\"",
                   "t.toml:2:34: key 'server.trusted_proxies[1]': expected an IP address or network like "
                   "\"10.0.0.0/8\" or \"::1\", got \"x\""}));
  const std::string two_sites = std::string{"[server]\ntrusted_proxies = [\"127.0.0.1\"]\n"} + std::string{kBase} +
                                "proxy_protocol = true\n[[sites]]\nname = \"t\"\nbindings = [\"http://*:80:t\"]\n"
                                "physical_path = \"/srv/t\"\npool = \"p\"\n";
  const Lines problems = problems_of(two_sites);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("sites s and t share port 80 but not proxy_protocol"), std::string::npos) << problems[0];
}

TEST(Farm, PinnedIds) {
  const Config c = load("[accounts]\nanonymous_uid = 2001\nanonymous_gid = 2001\n" + std::string{kBase} + "");
  EXPECT_EQ(c.accounts.anonymous_uid, 2001u);
  const Config p = load("[[pools]]\nname = \"p\"\nuid = 2101\ngid = 2102\n" + std::string{kBase.substr(22)});
  EXPECT_EQ(p.pools[0].uid, 2101u);
  EXPECT_EQ(p.pools[0].gid, 2102u);
  EXPECT_FALSE(load(kBase).pools[0].uid);
  EXPECT_EQ(problems_of("[accounts]\nanonymous_uid = 0\n"),
            Lines{"t.toml:2:17: key 'accounts.anonymous_uid': expected an integer of at least 1, got 0"});
  const Lines clash = problems_of("[accounts]\nanonymous_uid = 2101\n[[pools]]\nname = \"p\"\nuid = 2101\n");
  ASSERT_EQ(clash.size(), 1u);
  EXPECT_NE(clash[0].find("uid 2101 is pinned for both pool p and the anonymous account"), std::string::npos)
      << clash[0];
  const Lines explicit_identity = problems_of("[[pools]]\nname = \"p\"\nidentity = \"www-data\"\nuid = 33\n");
  ASSERT_EQ(explicit_identity.size(), 1u);
  EXPECT_NE(explicit_identity[0].find("is an existing account"), std::string::npos) << explicit_identity[0];
}

TEST(Farm, PinnedFrontIds) {
  const Config c = load("[accounts]\nfront_uid = 2201\nfront_gid = 2202\n" + std::string{kBase});
  EXPECT_EQ(c.accounts.front_uid, 2201u);
  EXPECT_EQ(c.accounts.front_gid, 2202u);
  EXPECT_FALSE(load(kBase).accounts.front_uid);
  EXPECT_EQ(problems_of("[accounts]\nfront_gid = 2147483648\n"),
            Lines{"t.toml:2:13: key 'accounts.front_gid': expected an integer from 1 to 2147483647, got 2147483648"});
  const Lines clash = problems_of("[accounts]\nfront_uid = 2301\n[[pools]]\nname = \"p\"\nuid = 2301\n");
  ASSERT_EQ(clash.size(), 1u);
  EXPECT_NE(clash[0].find("uid 2301 is pinned for both pool p and the front account"), std::string::npos) << clash[0];
}

TEST(Farm, AdminAllowNamesThePeersOfANetworkListener) {
  auto warned = [](const Config& c) {
    for (const auto& w : c.warnings)
      if (w.str().find("reachable from other machines") != std::string::npos) return true;
    return false;
  };
  const Config open = load("[server.admin]\nlisten = \"0.0.0.0:9180\"\n" + std::string{kBase});
  EXPECT_TRUE(open.server.admin.allow.empty());
  EXPECT_TRUE(warned(open));
  const Config closed =
      load("[server.admin]\nlisten = \"0.0.0.0:9180\"\nallow = [\"10.0.0.2\", \"fd00::/8\"]\n" + std::string{kBase});
  ASSERT_EQ(closed.server.admin.allow.size(), 2u);
  EXPECT_TRUE(in_range(closed.server.admin.allow[0], "10.0.0.2"));
  EXPECT_FALSE(in_range(closed.server.admin.allow[0], "10.0.0.3"));
  EXPECT_FALSE(warned(closed));
  const Lines bad = problems_of("[server.admin]\nallow = [\"10.0.0.1/33\"]\n");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("key 'server.admin.allow[0]'"), std::string::npos) << bad[0];
}

TEST(Farm, NodeOverridesServer) {
  const Config c = load(
      "[server]\nstate_dir = \"/var/lib/gh\"\nthreads = 2\n[node]\nname = \"web1\"\n"
      "state_dir = \"/var/lib/gh-web1\"\n");
  EXPECT_TRUE(c.node.declared);
  EXPECT_EQ(c.node.name, "web1");
  EXPECT_EQ(c.server.state_dir, "/var/lib/gh-web1");
  EXPECT_EQ(c.server.threads, 2u);
  EXPECT_FALSE(load("").node.declared);
  const Lines bad = problems_of("[node]\nshutdown_timeout = \"5s\"\n");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("unknown key 'shutdown_timeout' in [node]; expected one of name, state_dir, log_dir, threads"),
            std::string::npos)
      << bad[0];
}

PhpIni ini(std::string_view text, std::vector<Problem>& problems) { return parse_php_ini(text, "php.ini", problems); }

TEST(Farm, RedisSessionsAreAnAddress) {
  std::vector<Problem> problems;
  PhpIni i =
      ini("session.save_handler = redis\nsession.save_path = \"tcp://10.0.0.9:6380?prefix=shop:&database=2\"\n"
          "redis.session.locking_enabled = 1\n",
          problems);
  ASSERT_TRUE(problems.empty());
  EXPECT_FALSE(i.session_save_path);  // no folder to plan
  ASSERT_TRUE(i.redis_sessions);
  EXPECT_EQ(i.redis_sessions->server(), "tcp://10.0.0.9:6380");
  EXPECT_EQ(i.redis_sessions->database, 2u);
  EXPECT_EQ(i.redis_sessions->prefix, "shop:");
  EXPECT_TRUE(i.redis_sessions->locking);
  EXPECT_EQ(session_destination(i), "Redis tcp://10.0.0.9:6380 database 2, key prefix \"shop:\", locking on");

  PhpIni u = ini("session.save_handler = \"Redis\"\nsession.save_path = unix:///run/redis/redis.sock\n", problems);
  ASSERT_TRUE(u.redis_sessions);
  EXPECT_EQ(u.redis_sessions->server(), "unix:///run/redis/redis.sock");
  EXPECT_FALSE(u.redis_sessions->locking);  // phpredis' default
  EXPECT_EQ(session_destination(u),
            "Redis unix:///run/redis/redis.sock database 0, key prefix PHPREDIS_SESSION: (phpredis default), "
            "locking OFF (redis.session.locking_enabled)");

  PhpIni files = ini("session.save_path = \"2;/srv/s/sessions\"\n", problems);
  EXPECT_FALSE(files.redis_sessions);
  EXPECT_EQ(session_destination(files), "files in /srv/s/sessions");
  EXPECT_TRUE(problems.empty());
}

TEST(Farm, RedisSavePathForms) {
  auto bare = parse_redis_save_path("redis.internal:6379");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->server(), "tcp://redis.internal:6379");
  auto v6 = parse_redis_save_path("tcp://[fd00::5]?db=3");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->server(), "tcp://[fd00::5]:6379");
  EXPECT_EQ(v6->database, 3u);
  EXPECT_FALSE(parse_redis_save_path("tcp://a:6379,tcp://b:6379"));  // several servers
  EXPECT_FALSE(parse_redis_save_path("tcp://a:0"));
  EXPECT_FALSE(parse_redis_save_path("tcp://a:6379?database=x"));
  EXPECT_FALSE(parse_redis_save_path("ftp://a"));
  EXPECT_FALSE(parse_redis_save_path("unix://relative.sock"));
  std::vector<Problem> problems;
  ini("session.save_handler = redis\n", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].str(),
            "php.ini:1:1: key 'session.save_handler': session.save_handler = redis needs session.save_path = "
            "\"tcp://host:6379\" (the Redis server)");
}

TEST(Farm, RedisRisksAreWarnings) {
  testing::TempRoot root;
  root.mkdir("a");
  root.mkdir("b");
  const std::string redis = "session.save_handler = redis\nsession.save_path = \"tcp://10.0.0.9:6379\"\n";
  root.write("a.ini", redis);
  root.write("b.ini", redis + "redis.session.locking_enabled = on\n");
  const std::string r = root.str();
  const Config c = load_string("[[pools]]\nname = \"a\"\nphp_ini = \"" + r + "/a.ini\"\n[[pools]]\nname = \"b\"\n" +
                                   "php_ini = \"" + r +
                                   "/b.ini\"\n[[sites]]\nname = \"a\"\nbindings = "
                                   "[\"http://*:80:a\"]\nphysical_path = \"" +
                                   r +
                                   "/a\"\npool = \"a\"\n[[sites]]\n"
                                   "name = \"b\"\nbindings = [\"http://*:80:b\"]\nphysical_path = \"" +
                                   r +
                                   "/b\"\n"
                                   "pool = \"b\"\n",
                               "t.toml", {.check_paths = true});
  ASSERT_EQ(c.warnings.size(), 2u);
  std::string all;
  for (const auto& w : c.warnings) all += w.str() + "\n";
  EXPECT_NE(all.find("pool a: phpredis session locking is off"), std::string::npos) << all;
  EXPECT_EQ(all.find("pool b: phpredis session locking is off"), std::string::npos) << all;
  EXPECT_NE(all.find("pools a and b keep sessions in one Redis database (tcp://10.0.0.9:6379 database 0) with the "
                     "same key prefix \"PHPREDIS_SESSION:\""),
            std::string::npos)
      << all;
}

}  // namespace
}  // namespace gatehouse::config

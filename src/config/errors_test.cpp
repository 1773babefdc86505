// Every error path of the loader: the exact message a user reads, with
// file:line:column and the dotted key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "config/load.hpp"
#include "config/test_support.hpp"

namespace gatehouse::config {
namespace {

using testing::problems_of;
using Lines = std::vector<std::string>;

// A valid pool and site; the tests append to it from line 9 on.
constexpr std::string_view kBase = R"([[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)";

Lines with_base(std::string_view extra, LoadOptions options = {.check_paths = false}) {
  return problems_of(std::string{kBase} + std::string{extra}, options);
}

TEST(Errors, BaseLoads) { EXPECT_EQ(with_base(""), Lines{"loaded"}); }

TEST(Errors, TomlSyntax) {
  EXPECT_EQ(problems_of("[server]\nthreads = = 4\n"),
            Lines{"t.toml:2:11: TOML syntax error: Error while parsing value: could not determine value type"});
  EXPECT_EQ(problems_of("[server]\nthreads = 1\nthreads = 2\n"),
            Lines{"t.toml:3:11: TOML syntax error: Error while parsing key-value pair: cannot redefine existing "
                  "integer 'threads'"});
}

TEST(Errors, UnknownKeys) {
  EXPECT_EQ(problems_of("colour = 1\n"),
            Lines{"t.toml:1:1: key 'colour': unknown key 'colour' at the top level; expected one of server, "
                  "node, accounts, pools, sites"});
  EXPECT_EQ(with_base("[pools.fastcgi]\nmax_instance = 4\n"),
            Lines{"t.toml:10:1: key 'pools[0].fastcgi.max_instance': unknown key 'max_instance' in "
                  "[pools.fastcgi]; expected one of max_instances, instance_max_requests, idle_timeout, "
                  "activity_timeout, request_timeout, queue_length, rapid_fails_per_minute, monitor_changes_to, "
                  "stderr_mode, signal_before_terminate, environment"});
  EXPECT_EQ(problems_of("[server.limits]\nmax_body = 1\n"),
            Lines{"t.toml:2:1: key 'server.limits.max_body': unknown key 'max_body' in [server.limits]; expected "
                  "one of max_url_length, max_query_string, max_request_headers, max_allowed_content_length, "
                  "header_timeout, keepalive_timeout, body_timeout"});
  EXPECT_EQ(with_base("colour = 1\n"),
            Lines{"t.toml:9:1: key 'sites[0].colour': unknown key 'colour' in [[sites]]; expected one of name, "
                  "bindings, app_root, physical_path, pool, default_documents, php_extensions, writable, share_with, "
                  "request_filtering, handler_policies, authentication, tls, applications, virtual_directories, "
                  "front_controller, rewrite, proxy_protocol, forwarded_headers"});
  EXPECT_EQ(with_base("[sites.authentication.anonymous]\nusername = \"x\"\n"),
            Lines{"t.toml:10:1: key 'sites[0].authentication.anonymous.username': unknown key 'username' in "
                  "[sites.authentication.anonymous]; expected one of enabled, user"});
}

TEST(Errors, WrongTypes) {
  EXPECT_EQ(problems_of("[server]\nthreads = \"4\"\nstate_dir = 5\n[accounts]\nanonymous = true\n"),
            (Lines{"t.toml:2:11: key 'server.threads': expected a non-negative integer, got string \"4\"",
                   "t.toml:3:13: key 'server.state_dir': expected an absolute path, got integer 5",
                   "t.toml:5:13: key 'accounts.anonymous': expected a string, got boolean true"}));
  EXPECT_EQ(problems_of("server = 1\npools = 2\n"),
            (Lines{"t.toml:1:10: key 'server': expected a table, got integer 1",
                   "t.toml:2:9: key 'pools': expected an array of tables ([[pools]]), got integer 2"}));
  EXPECT_EQ(problems_of("[server]\nthreads = 1025\n"),
            Lines{"t.toml:2:11: key 'server.threads': expected an integer from 0 to 1024, got 1025"});
  EXPECT_EQ(problems_of("pools = [3]\n"), Lines{"t.toml:1:10: key 'pools[0]': expected a table, got integer 3"});
  EXPECT_EQ(with_base("[pools.fastcgi]\nmax_instances = 1.5\n"),
            Lines{"t.toml:10:17: key 'pools[0].fastcgi.max_instances': expected an integer of at least 1, got "
                  "float 1.5"});
}

TEST(Errors, CountsOutOfRange) {
  EXPECT_EQ(with_base("[pools.fastcgi]\nmax_instances = 0\nqueue_length = -1\ninstance_max_requests = 0\n"
                      "rapid_fails_per_minute = 5000000000\n"),
            (Lines{"t.toml:10:17: key 'pools[0].fastcgi.max_instances': expected an integer of at least 1, got 0",
                   "t.toml:11:16: key 'pools[0].fastcgi.queue_length': expected a non-negative integer, got -1",
                   "t.toml:12:25: key 'pools[0].fastcgi.instance_max_requests': expected an integer of at least 1, "
                   "got 0",
                   "t.toml:13:26: key 'pools[0].fastcgi.rapid_fails_per_minute': expected an integer from 0 to "
                   "4294967295, got 5000000000"}));
  EXPECT_EQ(problems_of("[server.limits]\nmax_url_length = 0\nmax_allowed_content_length = -5\n"),
            (Lines{"t.toml:2:18: key 'server.limits.max_url_length': expected an integer of at least 1, got 0",
                   "t.toml:3:30: key 'server.limits.max_allowed_content_length': expected a non-negative integer, "
                   "got -5"}));
}

TEST(Errors, Durations) {
  EXPECT_EQ(with_base("[pools.fastcgi]\nrequest_timeout = 90\nidle_timeout = \"5 minutes\"\n"
                      "activity_timeout = \"500ms\"\nidle_timeout_x = 1\n"),
            (Lines{"t.toml:10:19: key 'pools[0].fastcgi.request_timeout': expected a duration string with a unit "
                   "(\"90s\", \"5m\", \"1h\"), got integer 90",
                   "t.toml:11:16: key 'pools[0].fastcgi.idle_timeout': expected a duration with a unit (\"90s\", "
                   "\"5m\", \"1h\", \"2000ms\"), got \"5 minutes\"",
                   "t.toml:12:20: key 'pools[0].fastcgi.activity_timeout': expected a whole number of seconds "
                   "(timeouts have a one-second resolution), got \"500ms\"",
                   "t.toml:13:1: key 'pools[0].fastcgi.idle_timeout_x': unknown key 'idle_timeout_x' in "
                   "[pools.fastcgi]; expected one of max_instances, instance_max_requests, idle_timeout, "
                   "activity_timeout, request_timeout, queue_length, rapid_fails_per_minute, monitor_changes_to, "
                   "stderr_mode, signal_before_terminate, environment"}));
  EXPECT_EQ(problems_of("[server.limits]\nheader_timeout = \"0s\"\n"),
            Lines{"t.toml:2:18: key 'server.limits.header_timeout': expected a duration of at least 1s, got \"0s\""});
}

TEST(Errors, PoolValues) {
  EXPECT_EQ(problems_of("[[pools]]\nidentity = \"Bad Name\"\nphp_cgi = \"php-cgi\"\numask = \"8\"\n"
                        "[pools.fastcgi]\nstderr_mode = \"Return500\"\nmonitor_changes_to = \"php.ini\"\n"
                        "[[pools]]\nname = \"a b\"\numask = 512\n"),
            (Lines{"t.toml:1:1: key 'pools[0].name': missing key 'name' (the pool's name)",
                   "t.toml:2:12: key 'pools[0].identity': expected \"ApplicationPoolIdentity\" or a Linux account "
                   "name ([a-z_][a-z0-9_-]*, at most 32), got \"Bad Name\"",
                   "t.toml:3:11: key 'pools[0].php_cgi': expected an absolute path, got \"php-cgi\"",
                   "t.toml:4:9: key 'pools[0].umask': expected an octal umask from \"000\" to \"777\", got \"8\"",
                   "t.toml:6:15: key 'pools[0].fastcgi.stderr_mode': expected one of ReturnStdErrIn500, "
                   "ReturnGeneric500, IgnoreAndReturn200, TerminateProcess, got \"Return500\"",
                   "t.toml:7:22: key 'pools[0].fastcgi.monitor_changes_to': expected an absolute path, got "
                   "\"php.ini\"",
                   "t.toml:9:8: key 'pools[1].name': expected a name of letters, digits, '-', '_' or '.', got "
                   "\"a b\"",
                   "t.toml:10:9: key 'pools[1].umask': expected an octal string like \"007\" or an integer from 0 "
                   "to 0o777, got integer 512"}));
  EXPECT_EQ(problems_of("[accounts]\nanonymous = \"IUSR\"\n"),
            Lines{"t.toml:2:13: key 'accounts.anonymous': expected a Linux account name ([a-z_][a-z0-9_-]*, at "
                  "most 32), got \"IUSR\""});
}

TEST(Errors, Environment) {
  EXPECT_EQ(with_base("[pools.fastcgi]\ninstance_max_requests = 10000\n[pools.fastcgi.environment]\n"
                      "PHP_FCGI_MAX_REQUESTS = \"500\"\nPHP_FCGI_CHILDREN = \"4\"\n\"BAD-NAME\" = \"x\"\n"
                      "FLAG = true\n"),
            (Lines{"t.toml:12:25: key 'pools[0].fastcgi.environment.PHP_FCGI_MAX_REQUESTS': PHP_FCGI_MAX_REQUESTS "
                   "= 500 is lower than instance_max_requests = 10000: php-cgi would exit after 500 requests; set "
                   "both to the same value",
                   "t.toml:13:21: key 'pools[0].fastcgi.environment.PHP_FCGI_CHILDREN': PHP_FCGI_CHILDREN is set "
                   "by Gatehouse (0: one request per process); remove it",
                   "t.toml:14:14: key 'pools[0].fastcgi.environment.BAD-NAME': expected an environment variable "
                   "name ([A-Za-z_][A-Za-z0-9_]*), got \"BAD-NAME\"",
                   "t.toml:15:8: key 'pools[0].fastcgi.environment.FLAG': expected a string or an integer, got "
                   "boolean true"}));
  EXPECT_EQ(with_base("[pools.fastcgi.environment]\nPHP_FCGI_MAX_REQUESTS = \"lots\"\n"),
            Lines{"t.toml:10:25: key 'pools[0].fastcgi.environment.PHP_FCGI_MAX_REQUESTS': expected a "
                  "non-negative integer, got \"lots\""});
  // The default instance_max_requests (200) is checked too.
  EXPECT_EQ(with_base("[pools.fastcgi.environment]\nPHP_FCGI_MAX_REQUESTS = 100\n"),
            Lines{"t.toml:10:25: key 'pools[0].fastcgi.environment.PHP_FCGI_MAX_REQUESTS': PHP_FCGI_MAX_REQUESTS "
                  "= 100 is lower than instance_max_requests = 200: php-cgi would exit after 100 requests; set "
                  "both to the same value"});
}

TEST(Errors, SiteRequiredKeys) {
  EXPECT_EQ(problems_of("[[sites]]\nphysical_path = \"/srv/s\"\n"),
            (Lines{"t.toml:1:1: key 'sites[0].name': missing key 'name' (the site's name)",
                   "t.toml:1:1: key 'sites[0].bindings': missing key 'bindings' (like [\"http://*:80:*\"])",
                   "t.toml:1:1: key 'sites[0].pool': missing key 'pool' (the application pool serving the site)"}));
  EXPECT_EQ(problems_of("[[sites]]\nname = \"s\"\nbindings = []\npool = 1\n"),
            (Lines{"t.toml:1:1: key 'sites[0].physical_path': missing key 'physical_path' (the folder served at "
                   "this path)",
                   "t.toml:3:12: key 'sites[0].bindings': expected at least one binding like \"http://*:80:*\", "
                   "got an empty array",
                   "t.toml:4:8: key 'sites[0].pool': expected a string, got integer 1"}));
}

TEST(Errors, SiteValues) {
  EXPECT_EQ(problems_of(R"([[pools]]
name = "p"
[[sites]]
name = "s"
bindings = ["http://*:80:*", "tcp://*:1:*", "http://*:99999:*", 7]
physical_path = "srv/s"
app_root = "/srv/s"
pool = "p"
default_documents = ["index.php", "a/b.html"]
php_extensions = ["php", ".php"]
writable = ["/srv/s/data", "data"]
[sites.authentication.anonymous]
user = "nobody"
enabled = "yes"
)"),
            (Lines{"t.toml:5:30: key 'sites[0].bindings[1]': expected scheme \"http\" or \"https\", got "
                   "\"tcp://*:1:*\"",
                   "t.toml:5:45: key 'sites[0].bindings[2]': expected a port from 1 to 65535, got \"99999\"",
                   "t.toml:5:65: key 'sites[0].bindings[3]': expected a string or a table { url = ... }, got integer 7",
                   "t.toml:6:17: key 'sites[0].physical_path': expected an absolute path, got \"srv/s\"",
                   "t.toml:9:35: key 'sites[0].default_documents[1]': expected a file name without '/', got "
                   "\"a/b.html\"",
                   "t.toml:10:19: key 'sites[0].php_extensions[0]': expected an extension like \".php\", got "
                   "\"php\"",
                   "t.toml:11:28: key 'sites[0].writable[1]': expected an absolute path, got \"data\"",
                   "t.toml:13:8: key 'sites[0].authentication.anonymous.user': expected \"IUSR\" (the anonymous "
                   "account) or \"pool\" (the pool identity), got \"nobody\"",
                   "t.toml:14:11: key 'sites[0].authentication.anonymous.enabled': expected true or false, got "
                   "string \"yes\""}));
}

TEST(Errors, PoolReferences) {
  EXPECT_EQ(with_base("[[sites.applications]]\npath = \"/a\"\nphysical_path = \"/srv/a\"\npool = \"q\"\n"
                      "[[sites]]\nname = \"t\"\nbindings = [\"http://*:81:*\"]\nphysical_path = \"/srv/t\"\n"
                      "pool = \"P\"\n"),
            (Lines{"t.toml:12:8: key 'sites[0].applications[0].pool': expected the name of a [[pools]] entry (p), "
                   "got \"q\"",
                   "t.toml:17:8: key 'sites[1].pool': expected the name of a [[pools]] entry (p), got \"P\""}));
}

TEST(Errors, DuplicateNames) {
  EXPECT_EQ(with_base("[[pools]]\nname = \"P\"\n[[sites]]\nname = \"s\"\nbindings = [\"http://*:81:*\"]\n"
                      "physical_path = \"/srv/t\"\npool = \"p\"\n"),
            (Lines{"t.toml:10:8: key 'pools[1].name': duplicate name \"P\" (already used at t.toml:2:8)",
                   "t.toml:12:8: key 'sites[1].name': duplicate name \"s\" (already used at t.toml:5:8)"}));
}

TEST(Errors, DuplicateBindings) {
  // The same binding twice is an error; "*" beside a specific address, or another host, is not.
  EXPECT_EQ(with_base("[[sites]]\nname = \"t\"\n"
                      "bindings = [\"http://127.0.0.1:80:*\", \"http://*:80:a\", \"http://*:80:*\"]\n"
                      "physical_path = \"/srv/t\"\npool = \"p\"\n"),
            Lines{"t.toml:11:55: key 'sites[1].bindings[2]': binding \"http://*:80:*\" is already used by "
                  "sites[0].bindings[0] at t.toml:6:13"});
  EXPECT_EQ(problems_of("[[pools]]\nname = \"p\"\n[[sites]]\nname = \"s\"\n"
                        "bindings = [\"http://[::1]:80:A.example\", \"http://[0::1]:80:a.example\"]\n"
                        "physical_path = \"/s\"\npool = \"p\"\n"),
            Lines{"t.toml:5:42: key 'sites[0].bindings[1]': binding \"http://[0::1]:80:a.example\" is already used "
                  "by sites[0].bindings[0] at t.toml:5:13"});
}

TEST(Errors, ApplicationPaths) {
  EXPECT_EQ(with_base(R"([[sites.applications]]
path = "blog"
physical_path = "/srv/b"
[[sites.applications]]
path = "/b/"
physical_path = "/srv/b"
[[sites.applications]]
path = "/a/../b"
physical_path = "/srv/b"
[[sites.applications]]
path = "/"
physical_path = "/srv/b"
[[sites.applications]]
physical_path = "/srv/b"
[[sites.applications]]
path = "/shop"
[[sites.applications]]
path = "/shop"
physical_path = "/srv/b"
[[sites.virtual_directories]]
path = "/shop"
physical_path = "/srv/m"
[[sites.virtual_directories]]
path = "/m/"
)"),
            (Lines{"t.toml:10:8: key 'sites[0].applications[0].path': expected a URL path like \"/blog\" (starting "
                   "with '/'), got \"blog\"",
                   "t.toml:13:8: key 'sites[0].applications[1].path': expected a URL path like \"/blog\" (no trailing "
                   "'/'), got \"/b/\"",
                   "t.toml:16:8: key 'sites[0].applications[2].path': expected a URL path like \"/blog\" (no empty, "
                   "\".\" or \"..\" segment), got \"/a/../b\"",
                   "t.toml:19:8: key 'sites[0].applications[3].path': expected a URL path like \"/blog\" (not \"/\", "
                   "which is the site itself), got \"/\"",
                   "t.toml:21:1: key 'sites[0].applications[4].path': missing key 'path' (a URL path like \"/blog\")",
                   "t.toml:23:1: key 'sites[0].applications[5].physical_path': missing key 'physical_path' (the "
                   "folder served at this path)",
                   "t.toml:26:8: key 'sites[0].applications[6].path': path \"/shop\" is already mapped by "
                   "sites[0].applications[5].path at t.toml:24:8",
                   "t.toml:29:8: key 'sites[0].virtual_directories[0].path': path \"/shop\" is already mapped by "
                   "sites[0].applications[5].path at t.toml:24:8",
                   "t.toml:31:1: key 'sites[0].virtual_directories[1].physical_path': missing key 'physical_path' "
                   "(the folder served at this path)",
                   "t.toml:32:8: key 'sites[0].virtual_directories[1].path': expected a URL path like \"/blog\" (no "
                   "trailing '/'), got \"/m/\""}));
}

TEST(Errors, AllProblemsInWhatOnePerLine) {
  try {
    load_string("[server]\nthreads = -1\nlog_dir = \"x\"\n", "t.toml", {.check_paths = false});
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "t.toml:2:11: key 'server.threads': expected a non-negative integer, got -1\n"
                 "t.toml:3:11: key 'server.log_dir': expected an absolute path, got \"x\"");
    ASSERT_EQ(e.problems().size(), 2u);
    EXPECT_EQ(e.problems()[1].key, "server.log_dir");
    EXPECT_EQ(e.problems()[1].pos.line, 3);
    EXPECT_EQ(e.problems()[1].pos.column, 11);
  }
}

TEST(Errors, PathsMustExist) {
  testing::TempRoot root;
  const std::string r = root.str();
  root.mkdir("site");
  root.write("file", "x");
  root.write("noexec", "x");
  root.write("bad.ini", "upload_tmp_dir = tmp\n");
  const std::string text = "[[pools]]\nname = \"p\"\nphp_cgi = \"" + r + "/noexec\"\nphp_ini = \"" + r +
                           "/missing.ini\"\n[pools.fastcgi]\nmonitor_changes_to = \"" + r +
                           "/site\"\n[[pools]]\nname = \"q\"\nphp_ini = \"" + r +
                           "/bad.ini\"\n[[sites]]\nname = \"s\"\nbindings = [\"http://*:80:*\"]\nphysical_path = \"" +
                           r + "/file\"\napp_root = \"" + r + "/none\"\npool = \"p\"\nwritable = [\"" + r +
                           "/site\", \"" + r + "/gone\"]\n[[sites.virtual_directories]]\npath = \"/v\"\n" +
                           "physical_path = \"" + r + "/file\"\n";
  const Lines got = problems_of(text, {});
  const Lines expected{
      "t.toml:3:11: key 'pools[0].php_cgi': expected an executable file, got \"" + r + "/noexec\" (Permission denied)",
      "t.toml:4:11: key 'pools[0].php_ini': expected an existing file, got \"" + r +
          "/missing.ini\" (No such file or directory)",
      "t.toml:6:22: key 'pools[0].fastcgi.monitor_changes_to': expected a regular file, got \"" + r +
          "/site\" (not a regular file)",
      "t.toml:13:17: key 'sites[0].physical_path': expected a directory, got \"" + r + "/file\" (not a directory)",
      "t.toml:14:12: key 'sites[0].app_root': expected an existing directory, got \"" + r +
          "/none\" (No such file or directory)",
      "t.toml:16:" + std::to_string(22 + r.size()) +
          ": key 'sites[0].writable[1]': expected an existing directory, got \"" + r +
          "/gone\" (No such file or directory)",
      "t.toml:19:17: key 'sites[0].virtual_directories[0].physical_path': expected a directory, got \"" + r +
          "/file\" (not a directory)",
      r + "/bad.ini:1:1: [pool q] 'upload_tmp_dir': expected an absolute path, got \"tmp\"",
  };
  EXPECT_EQ(got, expected);
  // Without path checks, only the php.ini that exists is read (and its problem still counts).
  EXPECT_EQ(problems_of(text, {.check_paths = false}), Lines{expected.back()});
}

}  // namespace
}  // namespace gatehouse::config

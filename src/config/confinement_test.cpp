// [pools.sandbox], [pools.limits] and writable folders with execute = true.
#include <gtest/gtest.h>

#include "config/test_support.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

using Lines = std::vector<std::string>;

constexpr std::string_view kBase = R"([[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)";

Config load_with(std::string_view extra) {
  return load_string(std::string{kBase} + std::string{extra}, "t.toml", {.check_paths = false});
}

Lines problems_with(std::string_view extra) { return testing::problems_of(std::string{kBase} + std::string{extra}); }

TEST(Confinement, DefaultsAreSandboxOnAndAProcessLimit) {
  const Config c = load_with("");
  EXPECT_TRUE(c.pools[0].sandbox.enabled);
  EXPECT_EQ(c.pools[0].limits.memory_bytes, 0u);
  EXPECT_EQ(c.pools[0].limits.effective_max_processes(c.pools[0].fastcgi.max_instances), 4u * 16 + 32);
}

TEST(Confinement, SandboxLimitsAndWritableScripts) {
  const Config c = load_with(R"(writable = ["/srv/s/uploads", { path = "/srv/s/gen/", execute = true }]
[pools.sandbox]
read = ["/opt/geoip"]
write = ["/var/cache/p"]
execute = ["/usr/sbin/sendmail"]
[pools.limits]
memory = "256M"
instance_memory = "64M"
max_processes = 40
cpu_percent = 50
)");
  const Pool& p = c.pools[0];
  EXPECT_EQ(p.sandbox.read, std::vector<Path>{"/opt/geoip"});
  EXPECT_EQ(p.sandbox.write, std::vector<Path>{"/var/cache/p"});
  EXPECT_EQ(p.sandbox.execute, std::vector<Path>{"/usr/sbin/sendmail"});
  EXPECT_EQ(p.limits.memory_bytes, 256u << 20);
  EXPECT_EQ(p.limits.instance_memory_bytes, 64u << 20);
  EXPECT_EQ(p.limits.max_processes, 40u);
  EXPECT_EQ(p.limits.cpu_percent, 50u);
  EXPECT_EQ(c.sites[0].root().writable, (std::vector<Path>{"/srv/s/uploads", "/srv/s/gen"}));
  EXPECT_EQ(c.sites[0].root().writable_scripts, std::vector<Path>{"/srv/s/gen"});
}

TEST(Confinement, ErrorsNameKeyAndExpectation) {
  EXPECT_EQ(problems_with("writable = [{ path = \"x\" }, { execute = true }, 3]\n[pools.limits]\nmemory = \"lots\"\n"
                          "cpu_percent = 150\nswap = 1\n[pools.sandbox]\nwrite = [\"/\"]\n"),
            (Lines{"t.toml:9:13: key 'sites[0].writable[0]': expected an absolute path, got \"x\"",
                   "t.toml:9:29: key 'sites[0].writable[1].path': missing key 'path' (the writable folder)",
                   "t.toml:9:29: key 'sites[0].writable[1]': expected an absolute path, got \"\"",
                   "t.toml:9:49: key 'sites[0].writable[2]': expected an absolute path or { path = \"...\", "
                   "execute = true }, got integer 3",
                   "t.toml:11:10: key 'pools[0].limits.memory': expected a size like \"512M\", \"1G\" or a number "
                   "of bytes, got \"lots\"",
                   "t.toml:12:15: key 'pools[0].limits.cpu_percent': expected an integer from 0 to 100, got 150",
                   "t.toml:13:1: key 'pools[0].limits.swap': unknown key 'swap' in [pools.limits]; expected one of "
                   "memory, instance_memory, max_processes, cpu_percent",
                   "t.toml:15:9: key 'pools[0].sandbox.write': \"/\" would give the pool the whole machine; name "
                   "the folders it writes"}));
}

TEST(Confinement, InstanceMemoryMustStayBelowThePoolsMemory) {
  // At or above the cgroup's limit the kernel would kill before the graceful recycle could start.
  Lines p = problems_with("[pools.limits]\nmemory = \"64M\"\ninstance_memory = \"64M\"\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("key 'pools[0].limits.instance_memory': expected less than the pool's memory"), std::string::npos)
      << p[0];
  for (const auto& line : problems_with("[pools.limits]\nmemory = \"64M\"\ninstance_memory = \"48M\"\n"))
    EXPECT_EQ(line.find("instance_memory"), std::string::npos) << line;
}

TEST(Confinement, Sizes) {
  EXPECT_EQ(parse_size("64K"), 64u << 10);
  EXPECT_EQ(parse_size("1G"), 1u << 30);
  EXPECT_EQ(parse_size("1000"), 1000u);
  EXPECT_FALSE(parse_size("1T"));
  EXPECT_FALSE(parse_size("M"));
  EXPECT_FALSE(parse_size("99999999999999G"));
}

}  // namespace
}  // namespace gatehouse::config

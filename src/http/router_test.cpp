// Routing: binding selection by IP, port and Host; longest-prefix mounts.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace gatehouse::http {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::make_address;

config::Binding binding(std::string ip, std::uint16_t port, std::string host) {
  config::Binding b;
  b.ip = std::move(ip);
  b.port = port;
  b.host = std::move(host);
  b.text = "test";
  return b;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gh-router-" + std::to_string(::getpid()));
    for (auto d : {"shop", "blog", "media", "any", "local"}) fs::create_directories(root_ / d);
    config::Site shop;
    shop.name = "shop";
    shop.bindings = {binding("*", 8081, "shop.localhost"), binding("*", 8081, "www.shop.localhost")};
    shop.applications = {app("/", "shop"), app("/blog", "blog")};
    shop.virtual_directories = {{"/media", root_ / "media", {}}};
    config::Site any;
    any.name = "any";
    any.bindings = {binding("*", 8081, "*")};
    any.applications = {app("/", "any")};
    config::Site local;
    local.name = "local";
    local.bindings = {binding("127.0.0.2", 8081, "*")};
    local.applications = {app("/", "local")};
    config_.sites = {shop, any, local};
    auto r = Router::build(config_);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    router_.emplace(std::move(*r));
  }
  void TearDown() override { fs::remove_all(root_); }

  config::Application app(std::string path, const char* dir) {
    config::Application a;
    a.path = std::move(path);
    a.physical_path = root_ / dir;
    a.app_root = root_ / dir;
    return a;
  }
  std::string site_for(const char* ip, std::uint16_t port, std::string_view host) {
    auto* s = router_->find_site(make_address(ip), port, host);
    return s ? s->site->name : "-";
  }
  std::string mount_for(std::string_view path, std::string* rel = nullptr) {
    auto m = handlers::find_mount(router_->sites()[0], path);
    if (rel) *rel = std::string(m.relative);
    return m.mount ? m.mount->root.path().filename().string() : "-";
  }

  fs::path root_;
  config::Config config_;
  std::optional<Router> router_;
};

TEST_F(RouterTest, ExactHostBeatsWildcardAndIgnoresCaseAndPort) {
  EXPECT_EQ(site_for("127.0.0.1", 8081, "shop.localhost"), "shop");
  EXPECT_EQ(site_for("127.0.0.1", 8081, "SHOP.LocalHost:8081"), "shop");
  EXPECT_EQ(site_for("127.0.0.1", 8081, "www.shop.localhost."), "shop");
  EXPECT_EQ(site_for("127.0.0.1", 8081, "other.example"), "any");
  EXPECT_EQ(site_for("127.0.0.1", 8082, "shop.localhost"), "-");
}

TEST_F(RouterTest, ExactIpBeatsWildcardIp) {
  EXPECT_EQ(site_for("127.0.0.2", 8081, "other.example"), "local");
  EXPECT_EQ(site_for("127.0.0.2", 8081, "shop.localhost"), "shop");  // a named host still wins
}

TEST_F(RouterTest, LongestPrefixOnSegmentBoundary) {
  std::string rel;
  EXPECT_EQ(mount_for("/blog", &rel), "blog");
  EXPECT_EQ(rel, "");
  EXPECT_EQ(mount_for("/blog/post/1", &rel), "blog");
  EXPECT_EQ(rel, "post/1");
  EXPECT_EQ(mount_for("/BLOG/x", &rel), "blog");
  EXPECT_EQ(mount_for("/blogger", &rel), "shop");
  EXPECT_EQ(rel, "blogger");
  EXPECT_EQ(mount_for("/media/a.png", &rel), "media");
  EXPECT_EQ(rel, "a.png");
  EXPECT_EQ(mount_for("/", &rel), "shop");
  EXPECT_EQ(rel, "");
}

TEST_F(RouterTest, VirtualDirectoryBelongsToEnclosingApplication) {
  for (const auto& m : router_->sites()[0].mounts)
    if (m.prefix == "/media") {
      EXPECT_EQ(m.application->path, "/");
    }
}

TEST_F(RouterTest, ListensOnEachDistinctAddress) {
  auto a = router_->listen_addresses();
  ASSERT_EQ(a.size(), 3u);  // 0.0.0.0:8081, [::]:8081, 127.0.0.2:8081
  EXPECT_EQ(a[0].ip, make_address("0.0.0.0"));
  EXPECT_EQ(a[1].ip, make_address("::"));
  EXPECT_EQ(a[2].ip, make_address("127.0.0.2"));
}

TEST(RouterBuild, MissingPhysicalPathIsAnError) {
  config::Config c;
  config::Site s;
  s.name = "x";
  s.bindings = {binding("*", 80, "*")};
  config::Application a;
  a.path = "/";
  a.physical_path = "/nonexistent/gatehouse/root";
  s.applications = {a};
  c.sites = {s};
  auto r = Router::build(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "[site x] open /nonexistent/gatehouse/root failed: No such file or directory");
}

TEST(HostWithoutPort, StripsPort) {
  EXPECT_EQ(handlers::host_without_port("a.example:8080"), "a.example");
  EXPECT_EQ(handlers::host_without_port("a.example"), "a.example");
  EXPECT_EQ(handlers::host_without_port("[::1]:80"), "[::1]");
  EXPECT_EQ(handlers::host_without_port("[::1]"), "[::1]");
}

}  // namespace
}  // namespace gatehouse::http

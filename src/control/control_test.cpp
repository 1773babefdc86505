// The control socket's ownership checks, the status document, and sd_notify without systemd.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "control/sd_notify.hpp"
#include "control/socket.hpp"
#include "control/status.hpp"

namespace gatehouse::control {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/gh-control-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

TEST(ControlFolder, OursAndClosedIsAccepted) {
  TempDir d;
  ::chmod(d.path.c_str(), 0755);
  EXPECT_TRUE(check_folder(d.path, ::geteuid()).has_value());
}

TEST(ControlFolder, WritableByOthersIsRefused) {
  TempDir d;
  for (mode_t mode : {0775, 0757, 01777}) {
    ::chmod(d.path.c_str(), mode);
    auto ok = check_folder(d.path, ::geteuid());
    ASSERT_FALSE(ok.has_value()) << std::oct << mode;
    EXPECT_NE(ok.error().message().find("writable by group or others"), std::string::npos);
  }
}

TEST(ControlFolder, SomeoneElsesOrAFileIsRefused) {
  TempDir d;
  ::chmod(d.path.c_str(), 0755);
  EXPECT_FALSE(check_folder(d.path, ::geteuid() + 1).has_value());
  std::ofstream(d.path / "file") << "x";
  EXPECT_FALSE(check_folder(d.path / "file", ::geteuid()).has_value());
}

TEST(ControlFolder, ALinkIsJudgedByTheFolderItNames) {
  TempDir d;
  ::chmod(d.path.c_str(), 0755);
  fs::create_directory(d.path / "real");
  fs::create_symlink(d.path / "real", d.path / "link");
  ::chmod((d.path / "real").c_str(), 0700);
  EXPECT_TRUE(check_folder(d.path / "link", ::geteuid()).has_value());
  ::chmod((d.path / "real").c_str(), 0777);
  EXPECT_FALSE(check_folder(d.path / "link", ::geteuid()).has_value());
}

TEST(ControlPeers, RootAndTheServersOwnAccountOnly) {
  EXPECT_TRUE(trusted_peer(0, 1000));
  EXPECT_TRUE(trusted_peer(1000, 1000));
  EXPECT_FALSE(trusted_peer(1001, 1000));
  EXPECT_FALSE(trusted_peer(1000, 0));
}

TEST(ControlStatus, InstancesCarryPidStateRequestsAgeAndRss) {
  pool::PoolStats stats;
  stats.idle = 1;
  stats.served = 7;
  stats.queued = 2;
  stats.instances.push_back({::getpid(), "idle", 7, std::chrono::seconds(90)});
  auto doc = status_json({{"shop", {{"gh-pool-shop", stats}}}, {"empty", {}}});
  ASSERT_EQ(doc.size(), 2u);
  const auto& set = doc[0]["worker_sets"][0];
  EXPECT_EQ(set["account"], "gh-pool-shop");
  EXPECT_EQ(set["queue"], 2);
  EXPECT_EQ(set["requests"], 7);
  const auto& i = set["instances"][0];
  EXPECT_EQ(i["pid"], ::getpid());
  EXPECT_EQ(i["state"], "idle");
  EXPECT_EQ(i["age_seconds"], 90);
  EXPECT_GT(i["rss_kib"].get<long>(), 0);
  EXPECT_TRUE(doc[1]["worker_sets"].empty());
}

TEST(ControlStatus, RssOfAGoneProcessIsNull) { EXPECT_FALSE(rss_kib(0x7ffffff0).has_value()); }

TEST(SdNotify, WithoutNotifySocketDoesNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(sd_notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);  // not a path nor @abstract: ignored
  EXPECT_TRUE(sd_notify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotify, SendsOneDatagram) {
  TempDir d;
  auto path = d.path / "notify";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(sd_notify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  char buf[32] = {};
  EXPECT_EQ(::recv(fd, buf, sizeof buf, MSG_DONTWAIT), 7);
  EXPECT_STREQ(buf, "READY=1");
  ::close(fd);
}

}  // namespace
}  // namespace gatehouse::control

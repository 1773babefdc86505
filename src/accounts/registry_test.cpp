// accounts.json: round trip, atomic replace, refusal of a damaged file.
#include "accounts/registry.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gatehouse::accounts {
namespace {

namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gh-registry-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RegistryTest, MissingFileIsEmpty) {
  auto reg = Registry::load(Registry::file_in(dir_));
  ASSERT_TRUE(reg) << reg.error().message();
  EXPECT_TRUE(reg->entries().empty());
  EXPECT_EQ(reg->file(), dir_ / "accounts.json");
}

TEST_F(RegistryTest, SaveAndLoadRoundTrip) {
  const fs::path file = dir_ / "state" / "accounts.json";  // folder created on save
  auto reg = Registry::load(file);
  ASSERT_TRUE(reg);
  reg->put({"gh-pool-shop", 998, 997, Role::Pool, "shop", "2024-05-01T12:00:00Z"});
  reg->put({"gh-iusr", 996, 995, Role::Anonymous, "", "2024-05-01T12:00:01Z"});
  ASSERT_TRUE(reg->save());

  auto again = Registry::load(file);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->entries(), reg->entries());
  ASSERT_NE(again->find("gh-iusr"), nullptr);
  EXPECT_EQ(again->find("gh-iusr")->role, Role::Anonymous);
  EXPECT_EQ(again->find("nobody"), nullptr);

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  // Only the registry itself: no temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1)
      << "a temporary file was left behind";
}

TEST_F(RegistryTest, PutReplacesAndEraseRemoves) {
  auto reg = Registry::load(dir_ / "accounts.json");
  ASSERT_TRUE(reg);
  reg->put({"gh-pool-a", 1, 1, Role::Pool, "a", ""});
  reg->put({"gh-pool-a", 2, 3, Role::Pool, "a", ""});
  ASSERT_EQ(reg->entries().size(), 1u);
  EXPECT_EQ(reg->entries()[0].uid, 2u);
  EXPECT_TRUE(reg->erase("gh-pool-a"));
  EXPECT_FALSE(reg->erase("gh-pool-a"));
  ASSERT_TRUE(reg->save());
  auto again = Registry::load(dir_ / "accounts.json");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->entries().empty());
}

TEST_F(RegistryTest, DamagedFileIsAnErrorNotAnEmptyRegistry) {
  const fs::path file = dir_ / "accounts.json";
  for (const char* text : {"{not json", R"({"version":1,"accounts":[{"name":"x"}]})", R"({"version":7,"accounts":[]})",
                           R"({"version":1,"accounts":[{"name":"x","uid":1,"gid":1,"role":"admin"}]})"}) {
    std::ofstream(file) << text;
    auto reg = Registry::load(file);
    ASSERT_FALSE(reg) << text;
    EXPECT_NE(reg.error().message().find(file.string()), std::string::npos) << reg.error().message();
  }
}

TEST_F(RegistryTest, LockedLoadSerialisesWriters) {
  const fs::path file = dir_ / "state" / "accounts.json";
  auto first = Registry::load_locked(file);
  ASSERT_TRUE(first) << first.error().message();
  first->put({"gh-pool-a", 1, 1, Role::Pool, "a", ""});

  // A second process must wait until the first has saved and let go.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close_range(3, ~0U, 0);  // drop the inherited lock, as exec would (O_CLOEXEC)
    auto second = Registry::load_locked(file);
    if (!second || second->find("gh-pool-a") == nullptr) ::_exit(1);
    second->put({"gh-pool-b", 2, 2, Role::Pool, "b", ""});
    ::_exit(second->save() ? 0 : 2);
  }
  ::usleep(200'000);  // the child is blocked on the lock by now
  ASSERT_TRUE(first->save());
  { auto release = std::move(*first); }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto after = Registry::load(file);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->entries().size(), 2u);  // neither write was lost
}

TEST(UtcTimestamp, IsIso8601) {
  const std::string ts = utc_timestamp();
  ASSERT_EQ(ts.size(), 20u) << ts;
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
}

}  // namespace
}  // namespace gatehouse::accounts

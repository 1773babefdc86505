// The small-file cache: hits until cleared, never holds large files.
#include "handlers/file_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "accounts/test_support.hpp"

namespace gatehouse::handlers {
namespace {

namespace fs = std::filesystem;

TEST(FileCache, KeepsSmallFilesUntilCleared) {
  auto dir = fs::temp_directory_path() / ("gh-cache-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.txt") << "small";
  std::ofstream(dir / "big.txt") << std::string(FileCache::kMaxFileSize + 1, 'x');
  auto root = RootDir::open(dir);
  ASSERT_TRUE(root.has_value());
  FileCache cache;
  accounts::Identity who;
  EXPECT_EQ(cache.find(*root, "a.txt", who), nullptr);
  auto file = open_for_request(*root, "a.txt", who);
  ASSERT_TRUE(file.has_value());
  const auto* added = cache.insert(*root, "a.txt", who, *file, "text/plain");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->content, "small");
  EXPECT_EQ(added->validators.size, 5u);
  const auto* hit = cache.find(*root, "a.txt", who);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->content, "small");
  cache.clear();
  EXPECT_EQ(cache.find(*root, "a.txt", who), nullptr);

  auto big = open_for_request(*root, "big.txt", who);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(cache.insert(*root, "big.txt", who, *big, "text/plain"), nullptr);
  EXPECT_EQ(cache.find(*root, "big.txt", who), nullptr);
  fs::remove_all(dir);
}

// The cache must never hand one identity a file only another may read.
TEST(FileCache, EntriesAreKeptApartPerIdentity) {
  ASSERT_EQ(::geteuid(), 0u) << "switching identities needs root";
  accounts::testing::TestAccount reader;
  accounts::testing::TestAccount other;
  auto dir = fs::temp_directory_path() / ("gh-cache-id-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::others_exec);
  std::ofstream(dir / "mine.txt") << "private";
  ASSERT_EQ(::chown((dir / "mine.txt").c_str(), reader.identity().uid, reader.identity().gid), 0);
  fs::permissions(dir / "mine.txt", fs::perms::owner_read);
  auto root = RootDir::open(dir);
  ASSERT_TRUE(root.has_value());
  const auto& r = reader.identity();
  const auto& o = other.identity();
  const accounts::Identity& as_reader = r;
  const accounts::Identity& as_other = o;
  std::string reader_key, server_key, other_key;
  as_reader.append_cache_key(reader_key);
  accounts::Identity{}.append_cache_key(server_key);
  as_other.append_cache_key(other_key);
  EXPECT_NE(reader_key, server_key);
  EXPECT_NE(reader_key, other_key);

  FileCache cache;
  auto file = open_for_request(*root, "mine.txt", as_reader);
  ASSERT_TRUE(file.has_value()) << file.error().message();
  ASSERT_NE(cache.insert(*root, "mine.txt", as_reader, *file, "text/plain"), nullptr);
  EXPECT_NE(cache.find(*root, "mine.txt", as_reader), nullptr);
  EXPECT_EQ(cache.find(*root, "mine.txt", as_other), nullptr);
  auto denied = open_for_request(*root, "mine.txt", as_other);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().errnum, EACCES);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gatehouse::handlers

// The small-file cache: hits until cleared, never holds large files.
#include "handlers/file_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  RequestIdentity who;
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

}  // namespace
}  // namespace gatehouse::handlers

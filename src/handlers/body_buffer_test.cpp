// The body buffer: memory first, then a file nobody can open by name.
#include "handlers/body_buffer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace gatehouse::handlers {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("gh-body-" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
};

std::string read_all(const BodyBuffer& b, std::size_t piece) {
  std::string out, scratch;
  while (out.size() < b.size()) {
    auto part = b.read(out.size(), piece, scratch);
    EXPECT_TRUE(part.has_value());
    if (!part || part->empty()) break;
    out.append(*part);
  }
  return out;
}

TEST(BodyBuffer, SmallBodyStaysInMemory) {
  Dir d;
  BodyBuffer b(d.path);
  ASSERT_TRUE(b.append("hello ").has_value());
  ASSERT_TRUE(b.append("world").has_value());
  EXPECT_FALSE(b.in_file());
  EXPECT_EQ(b.size(), 11u);
  EXPECT_EQ(read_all(b, 4), "hello world");
}

TEST(BodyBuffer, LargeBodyGoesToAnUnnamedFile) {
  Dir d;
  BodyBuffer b(d.path);
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    std::string piece(1000, static_cast<char>('a' + i % 26));
    expected += piece;
    ASSERT_TRUE(b.append(piece).has_value());
  }
  EXPECT_TRUE(b.in_file());
  EXPECT_EQ(b.size(), expected.size());
  EXPECT_TRUE(fs::is_empty(d.path));  // O_TMPFILE: no name anyone could open
  EXPECT_EQ(read_all(b, 65536), expected);
}

TEST(BodyBuffer, MissingFolderIsAnErrorNotACrash) {
  BodyBuffer b("/nonexistent/gh-body");
  EXPECT_TRUE(b.append(std::string(BodyBuffer::kInMemory, 'x')).has_value());
  auto spilled = b.append("y");
  ASSERT_FALSE(spilled.has_value());
  EXPECT_EQ(spilled.error().errnum, ENOENT);
}

}  // namespace
}  // namespace gatehouse::handlers

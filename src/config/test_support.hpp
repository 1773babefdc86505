// Test helpers: a temporary folder tree removed on destruction, and the
// problems of a configuration as the user reads them.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/load.hpp"

namespace gatehouse::config::testing {

class TempRoot {
 public:
  TempRoot() {
    char pattern[] = "/tmp/gh-config-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::filesystem::path mkdir(const std::string& rel) const {
    std::filesystem::create_directories(path_ / rel);
    return path_ / rel;
  }
  std::filesystem::path write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories((path_ / rel).parent_path());
    std::ofstream{path_ / rel} << text;
    return path_ / rel;
  }

 private:
  std::filesystem::path path_;
};

// Each problem's str() of loading `text` as "t.toml", or {"loaded"} when it loads.
inline std::vector<std::string> problems_of(std::string_view text, LoadOptions options = {.check_paths = false}) {
  try {
    load_string(text, "t.toml", options);
    return {"loaded"};
  } catch (const ConfigError& e) {
    std::vector<std::string> out;
    for (const auto& p : e.problems()) out.push_back(p.str());
    return out;
  }
}

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in{file};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

}  // namespace gatehouse::config::testing

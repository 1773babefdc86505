// The demo site's files, compiled in: a welcome page, a page that shows which
// accounts serve it, an upload form, and the pool's php.ini.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gatehouse::cli {

struct DemoFile {
  std::filesystem::path path;  // relative to the demo folder
  std::string text;
};

// `demo_dir` is where the files go; php.ini names folders inside it.
std::vector<DemoFile> demo_files(const std::filesystem::path& demo_dir);

}  // namespace gatehouse::cli

// Bounded search for files owned by one uid; see owned_files.hpp.
#include "cli/owned_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace gatehouse::cli {
namespace {

constexpr std::size_t kExamples = 5;

std::vector<std::string> search_roots(const config::Config& config) {
  std::vector<std::filesystem::path> roots = {
      config.server.state_dir, config.server.log_dir, "/srv", "/var/www", "/tmp", "/var/tmp", "/var/lib/php"};
  for (const auto& site : config.sites) {
    for (const auto& app : site.applications) {
      roots.push_back(app.app_root);
      roots.push_back(app.physical_path);
      roots.insert(roots.end(), app.writable.begin(), app.writable.end());
    }
  }
  std::sort(roots.begin(), roots.end());
  std::vector<std::string> out;  // without those inside another root
  for (const auto& r : roots) {
    if (r.empty()) continue;
    const std::string s = r.string();
    const bool inside =
        std::any_of(out.begin(), out.end(), [&](const std::string& o) { return s == o || s.starts_with(o + "/"); });
    if (!inside) out.push_back(s);
  }
  return out;
}

}  // namespace

Owned find_owned(const config::Config& config, uid_t uid, std::size_t budget) {
  namespace fs = std::filesystem;
  Owned owned;
  std::size_t visited = 0;
  auto note = [&](const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || st.st_uid != uid) return;
    ++owned.count;
    if (owned.examples.size() < kExamples) owned.examples.push_back(path);
  };
  for (const auto& root : search_roots(config)) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(root, ec))) continue;
    owned.searched.push_back(root);
    note(root);
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (++visited > budget) {
        owned.truncated = true;
        return owned;
      }
      note(it->path().string());
    }
  }
  return owned;
}

}  // namespace gatehouse::cli

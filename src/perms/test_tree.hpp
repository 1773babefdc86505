// A real tree for the apply/restore/audit tests: the two-sites layout under a
// temporary root, with throw-away accounts for the anonymous user and pools.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "accounts/test_support.hpp"
#include "perms/plan.hpp"
#include "perms/test_config.hpp"

namespace gatehouse::perms::testing_support {

// Output of a shell command (getfacl); throws when it cannot run.
inline std::string shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("popen " + command);
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  return out;
}

class TestTree {
 public:
  TestTree() {
    char templ[] = "/tmp/gh-perms-XXXXXX";
    if (mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp");
    root_ = templ;
    config_ = make_config();
    for (const char* dir :
         {"srv/shop/public/css", "srv/shop/lib", "srv/shop/data", "srv/shop/logs", "srv/shop/tmp", "srv/shop/sessions",
          "srv/blog/public", "srv/blog/tmp", "srv/blog/sessions", "srv/media", "outside"}) {
      std::filesystem::create_directories(root_ / dir);
    }
    for (const char* file :
         {"srv/shop/public/index.php", "srv/shop/public/css/site.css", "srv/shop/lib/db.php",
          "srv/shop/data/orders.csv", "srv/blog/public/index.php", "srv/media/logo.png", "outside/secret.txt"}) {
      std::ofstream(root_ / file) << "content of " << file << "\n";
    }
    // Links must never be followed: one out of the tree, one within it.
    std::filesystem::create_directory_symlink(root_ / "outside", root_ / "srv/shop/public/evil");
    std::filesystem::create_symlink("../lib/db.php", root_ / "srv/shop/public/db-link.php");
    chmod((root_ / "srv").c_str(), 0755);
    chmod(root_.c_str(), 0755);
  }
  ~TestTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TestTree(const TestTree&) = delete;
  TestTree& operator=(const TestTree&) = delete;

  const Path& root() const { return root_; }
  Path at(const std::string& relative) const { return root_ / relative; }
  const config::Config& config() const { return config_; }
  const std::string& anonymous() const { return anonymous_.name(); }
  const std::string& shop() const { return shop_.name(); }
  const std::string& blog() const { return blog_.name(); }

  // The plan for this tree, without the ancestors above the temporary root
  // (the test must not change /tmp).
  Plan plan(const PlanOptions& options = {}) const {
    Plan p = make_plan(config_, options);
    std::erase_if(p.grants, [&](const Grant& g) { return !is_within(g.path, root_); });
    return p;
  }

  // `getfacl -R` of the served tree, as an administrator would compare it.
  std::string dump() const { return shell("cd " + root_.string() + " && getfacl -R -p srv 2>&1"); }

 private:
  Path re(const Path& p) const { return root_ / p.relative_path(); }

  config::Config make_config() {
    config::Config c = two_sites();
    c.server.state_dir = root_ / "state";
    c.accounts.anonymous = anonymous_.name();
    c.pools[0].identity = shop_.name();
    c.pools[1].identity = blog_.name();
    c.pools[0].ini.upload_tmp_dir = "/srv/shop/tmp";  // re-rooted below with the rest
    c.pools[0].ini.session_save_path = "/srv/shop/sessions";
    for (auto& pool : c.pools) {
      pool.php_ini = re(pool.php_ini);
      if (pool.ini.error_log) pool.ini.error_log = re(*pool.ini.error_log);
      if (pool.ini.upload_tmp_dir) pool.ini.upload_tmp_dir = re(*pool.ini.upload_tmp_dir);
      if (pool.ini.session_save_path) pool.ini.session_save_path = re(*pool.ini.session_save_path);
      pool.ini.include_path.clear();
    }
    for (auto& app : c.sites[0].applications) {
      app.app_root = re(app.app_root);
      app.physical_path = re(app.physical_path);
      for (auto& w : app.writable) w = re(w);
    }
    for (auto& v : c.sites[0].virtual_directories) v.physical_path = re(v.physical_path);
    return c;
  }

  accounts::testing::TestAccount anonymous_{"gh-tiusr-"};
  accounts::testing::TestAccount shop_{"gh-tshop-"};
  accounts::testing::TestAccount blog_{"gh-tblog-"};
  Path root_;
  config::Config config_;
};

enum class Op { Read, Write, List };

// What the kernel answers when `account` tries `op` on `path` (a child process
// that drops to the account's uid, gid and groups, then opens the path).
inline bool kernel_allows(const accounts::Identity& id, const Path& path, Op op) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(id.groups.size(), id.groups.data()) != 0 || setgid(id.gid) != 0 || setuid(id.uid) != 0) _exit(99);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) _exit(1);
    if (op == Op::Write && S_ISDIR(st.st_mode)) {  // writing a folder: making a file in it
      const std::string probe = path.string() + "/.probe";
      const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
      _exit(fd >= 0 && unlink(probe.c_str()) == 0 ? 0 : 1);
    }
    int flags = op == Op::Write ? O_WRONLY | O_APPEND : O_RDONLY;
    if (op == Op::List) flags |= O_DIRECTORY;
    const int fd = open(path.c_str(), flags);
    _exit(fd >= 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) throw std::runtime_error("access check failed to run");
  return WEXITSTATUS(status) == 0;
}

}  // namespace gatehouse::perms::testing_support

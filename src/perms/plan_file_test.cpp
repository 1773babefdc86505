// The plan of the reference configuration (two-sites.toml, loaded by the real
// loader with its folders under a temporary root) against the expected plan
// in testdata/two_sites_plan.txt (GH_UPDATE_GOLDEN=1 rewrites it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/load.hpp"
#include "perms/plan.hpp"
#include "perms/report.hpp"

namespace gatehouse::perms {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class TwoSitesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/gh-perms-plan-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    for (auto dir : {"srv/shop/public", "srv/shop/data", "srv/shop/sessions", "srv/shop/logs", "srv/blog/public",
                     "srv/blog/tmp", "srv/media"}) {
      std::filesystem::create_directories(root_ / dir);
    }
    const std::string r = root_.string();
    std::ofstream(root_ / "srv/shop/php.ini")
        << "[PHP]\nsession.save_path = \"" << r << "/srv/shop/sessions\"\nerror_log = " << r
        << "/srv/shop/logs/php_errors.log\n";
    std::ofstream(root_ / "srv/blog/php.ini")
        << "[PHP]\nupload_tmp_dir = " << r << "/srv/blog/tmp\ninclude_path = \".:/usr/share/php\"\n";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  config::Config load() const {
    std::string text = read_text(std::string(GH_SOURCE_DIR) + "/src/config/testdata/two-sites.toml");
    text = replace_all(text, "\"/srv/", "\"" + root_.string() + "/srv/");
    text = replace_all(text, "\"/var/lib/gatehouse\"", "\"" + root_.string() + "/state\"");
    return config::load_string(text, "two-sites.toml");
  }

  std::filesystem::path root_;
};

// The plan with the temporary root written "<root>", so columns line up the same on every run.
Plan without_root(Plan plan, const std::string& root) {
  for (auto& g : plan.grants) {
    g.path = replace_all(g.path.string(), root, "<root>");
    g.reason = replace_all(g.reason, root, "<root>");
  }
  for (auto& c : plan.closed) c.path = replace_all(c.path.string(), root, "<root>");
  for (auto& n : plan.notes) n = replace_all(n, root, "<root>");
  return plan;
}

TEST_F(TwoSitesFile, PlanMatchesTheExpectedPlan) {
  const std::string table = format_table(without_root(make_plan(load()), root_.string()));
  const std::string golden = std::string(GH_SOURCE_DIR) + "/src/perms/testdata/two_sites_plan.txt";
  if (std::getenv("GH_UPDATE_GOLDEN") != nullptr) std::ofstream(golden, std::ios::binary) << table;
  EXPECT_EQ(table, read_text(golden)) << "regenerate with GH_UPDATE_GOLDEN=1 after a deliberate change";
}

TEST_F(TwoSitesFile, PoolOnlyOverrideLeavesTheAnonymousAccountOut) {
  const Plan plan = make_plan(load(), PlanOptions{Scheme::PoolOnly});
  for (const auto& g : plan.grants) EXPECT_NE(g.account, "gh-iusr") << g.path;
}

}  // namespace
}  // namespace gatehouse::perms

// Static file resolution on a real directory tree, and response planning.
#include "handlers/static_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "accounts/credentials.hpp"
#include "accounts/test_support.hpp"

namespace gatehouse::handlers {
namespace {

namespace fs = std::filesystem;

class StaticFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("gh-static-" + std::to_string(::getpid()));
    fs::create_directories(base_ / "root/docs");
    fs::create_directories(base_ / "root/empty");
    fs::create_directories(base_ / "root/app");
    write(base_ / "root/index.html", "home");
    write(base_ / "root/docs/a.txt", "0123456789");
    write(base_ / "root/docs/index.htm", "docs");
    write(base_ / "root/app/index.php", "<?php echo 1;");
    write(base_ / "root/app/index.html", "not me");
    write(base_ / "root/notes.inc", "secret");
    write(base_ / "secret.txt", "outside");
    fs::create_symlink("../secret.txt", base_ / "root/escape.txt");
    fs::create_symlink("docs/a.txt", base_ / "root/inside.txt");
    ::mkfifo((base_ / "root/pipe.txt").c_str(), 0644);
    auto root = RootDir::open(base_ / "root");
    ASSERT_TRUE(root.has_value());
    root_.emplace(std::move(*root));
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }

  Resolved resolve(std::string_view url) {
    std::string_view rel = url.substr(1);
    return resolve_static(*root_, {url, rel, &docs_, &scripts_}, accounts::Identity{});
  }

  fs::path base_;
  std::optional<RootDir> root_;
  std::vector<std::string> docs_{"index.php", "index.html", "index.htm"};
  std::vector<std::string> scripts_{".php"};
};

TEST_F(StaticFileTest, ServesRegularFileWithType) {
  auto r = resolve("/docs/a.txt");
  ASSERT_EQ(r.outcome, Outcome::File);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.file.stat().st_size, 10);
}

TEST_F(StaticFileTest, DirectoryWithoutSlashRedirects) {
  auto r = resolve("/docs");
  ASSERT_EQ(r.outcome, Outcome::Redirect);
  EXPECT_EQ(r.target, "/docs/");
}

TEST_F(StaticFileTest, DefaultDocumentsInOrder) {
  auto r = resolve("/docs/");
  ASSERT_EQ(r.outcome, Outcome::File);
  EXPECT_EQ(r.file.stat().st_size, 4);  // index.htm
  auto root = resolve("/");
  ASSERT_EQ(root.outcome, Outcome::File);
  auto app = resolve("/app/");
  ASSERT_EQ(app.outcome, Outcome::Script);  // index.php comes first and goes to the script handler
  EXPECT_EQ(app.target, "/app/index.php");
}

TEST_F(StaticFileTest, DirectoryWithoutDefaultDocumentIsForbidden) {
  auto r = resolve("/empty/");
  ASSERT_EQ(r.outcome, Outcome::Error);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.substatus, 14u);
}

TEST_F(StaticFileTest, MissingUnknownAndSpecialFiles) {
  auto missing = resolve("/nope.html");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.win32, ENOENT);
  auto unknown = resolve("/notes.inc");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.substatus, 3u);
  EXPECT_EQ(resolve("/docs/a.txt/").status, 404u);
  EXPECT_EQ(resolve("/pipe.txt").status, 404u);  // opened without blocking, then refused
}

TEST_F(StaticFileTest, SymlinksStayBeneathTheRoot) {
  EXPECT_EQ(resolve("/inside.txt").outcome, Outcome::File);
  auto escape = resolve("/escape.txt");
  EXPECT_EQ(escape.outcome, Outcome::Error);
  EXPECT_EQ(escape.status, 404u);
  EXPECT_EQ(escape.win32, EXDEV);
}

TEST(NamesScript, AnySegmentWithScriptExtension) {
  std::vector<std::string> ext{".php"};
  EXPECT_TRUE(names_script("/index.php", ext));
  EXPECT_TRUE(names_script("/INDEX.PHP", ext));
  EXPECT_TRUE(names_script("/a.php/path/info", ext));
  EXPECT_FALSE(names_script("/a.phps", ext));
  EXPECT_FALSE(names_script("/php/", ext));
  EXPECT_FALSE(names_script("/.php", ext));
}

TEST(PlanResponse, FullPartialNotModifiedUnsatisfiable) {
  struct stat st {};
  st.st_size = 1000;
  st.st_ino = 7;
  st.st_mtim = {784111777, 0};
  auto v = make_validators(st);
  EXPECT_STREQ(v.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
  auto full = plan_response(v, {}, "");
  EXPECT_EQ(full.status, 200u);
  EXPECT_EQ(full.length, 1000u);
  auto part = plan_response(v, {}, "bytes=10-19");
  EXPECT_EQ(part.status, 206u);
  EXPECT_EQ(part.offset, 10u);
  EXPECT_EQ(part.length, 10u);
  EXPECT_EQ(plan_response(v, {}, "bytes=2000-").status, 416u);
  Conditions c;
  c.if_none_match = v.etag.view();
  EXPECT_EQ(plan_response(v, c, "bytes=10-19").status, 304u);
  Conditions stale;
  stale.if_range = "\"old\"";
  EXPECT_EQ(plan_response(v, stale, "bytes=10-19").status, 200u);  // If-Range mismatch: whole file
}

// Opening as an account: the kernel decides, including on the folders above
// the root (which the root's descriptor, opened by the server, would skip),
// and the thread gets its own credentials back afterwards.
TEST(OpenForRequest, OpensAsTheIdentityAndChecksTheWayToTheRoot) {
  ASSERT_EQ(::geteuid(), 0u) << "switching identities needs root";
  accounts::testing::TestAccount account;
  const auto& id = account.identity();
  const accounts::Identity& who = id;
  auto base = fs::temp_directory_path() / ("gh-open-as-" + std::to_string(::getpid()));
  fs::create_directories(base / "root");
  std::ofstream(base / "root/public.txt") << "public";
  std::ofstream(base / "root/secret.txt") << "secret";
  fs::permissions(base, fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(base / "root", fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(base / "root/public.txt", fs::perms::owner_read | fs::perms::others_read);
  fs::permissions(base / "root/secret.txt", fs::perms::owner_read);
  auto root = RootDir::open(base / "root");
  ASSERT_TRUE(root.has_value());

  EXPECT_TRUE(open_for_request(*root, "public.txt", who).has_value());
  auto secret = open_for_request(*root, "secret.txt", who);
  ASSERT_FALSE(secret.has_value());
  EXPECT_EQ(secret.error().errnum, EACCES);
  EXPECT_TRUE(open_for_request(*root, "secret.txt", accounts::Identity{}).has_value());  // as the server (root)
  EXPECT_EQ(accounts::current_fsuid(), 0u);

  fs::permissions(base, fs::perms::owner_all);  // the account can no longer walk to the root
  auto blocked = open_for_request(*root, "public.txt", who);
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().errnum, EACCES);
  std::vector<std::string> docs, scripts{".php"};
  auto resolved = resolve_static(*root, {"/public.txt", "public.txt", &docs, &scripts}, who);
  EXPECT_EQ(resolved.status, 401u);
  EXPECT_EQ(resolved.substatus, 3u);
  fs::remove_all(base);
}

}  // namespace
}  // namespace gatehouse::handlers

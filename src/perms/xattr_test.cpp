// The raw ACL xattr codec against what libacl and the kernel store, and the
// folder-relative xattr calls (both the *at syscalls and the /proc fallback):
// they act on the named file and never through a symlink.
#include "perms/xattr.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/unique_fd.hpp"

namespace gatehouse::perms {
namespace {

class XattrTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/gh-xattr-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    std::ofstream(dir_ / "file") << "x\n";
    std::ofstream(dir_ / "target") << "secret\n";
    std::filesystem::create_symlink(dir_ / "target", dir_ / "link");
    fd_ = UniqueFd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string raw(const char* name) const {
    char buf[512];
    const ssize_t n = lgetxattr((dir_ / name).c_str(), kAccessXattr, buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
  }

  std::filesystem::path dir_;
  UniqueFd fd_;
};

AclSpec extended() {
  AclSpec acl{6, 4, 0, {{1001, 5}, {1003, 7}}, {{50, 4}}, 7};
  return acl;
}

TEST(AclXattr, EncodingIsWhatLibaclMakesTheKernelStore) {
  char templ[] = "/tmp/gh-xattr-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string file = std::string(templ) + "/f";
  std::ofstream(file) << "x\n";
  {
    UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(write_access_acl(fd.get(), extended()));
  }
  char buf[512];
  const ssize_t n = getxattr(file.c_str(), kAccessXattr, buf, sizeof buf);
  ASSERT_GT(n, 0);
  const std::string stored(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(encode_acl(extended()), stored);
  EXPECT_EQ(decode_acl(stored), extended());
  std::filesystem::remove_all(templ);
}

TEST(AclXattr, RejectsWhatIsNotAnAcl) {
  EXPECT_EQ(decode_acl(""), std::nullopt);
  EXPECT_EQ(decode_acl(std::string("\x01\x00\x00\x00", 4)), std::nullopt) << "version 1";
  EXPECT_EQ(decode_acl(encode_acl(extended()).substr(0, 10)), std::nullopt) << "torn entry";
}

TEST(AclXattr, ModeGivesTheMinimalAcl) { EXPECT_EQ(acl_from_mode(0100750).text(), "u::rwx,g::r-x,o::---"); }

TEST_P(XattrTest, SetsAndReadsTheNamedFile) {
  XattrAt xattr(GetParam());
  std::string out;
  auto none = xattr.get(fd_.get(), "file", kAccessXattr, out);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE(*none) << "a fresh file has no ACL xattr";

  ASSERT_TRUE(xattr.set(fd_.get(), "file", kAccessXattr, encode_acl(extended())));
  auto got = xattr.get(fd_.get(), "file", kAccessXattr, out);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(decode_acl(out), extended());
  UniqueFd file(open((dir_ / "file").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(read_access_acl(file.get())->text(), "u::rw-,u:1001:r-x,u:1003:rwx,g::r--,g:50:r--,m::rwx,o::---");
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0670u) << "the kernel keeps the mode in step (group bits are the mask)";
}

TEST_P(XattrTest, NeverActsThroughASymlink) {
  XattrAt xattr(GetParam());
  EXPECT_FALSE(xattr.set(fd_.get(), "link", kAccessXattr, encode_acl(extended())));
  EXPECT_EQ(raw("target"), "") << "the link's target is untouched";
  std::string out;
  auto got = xattr.get(fd_.get(), "link", kAccessXattr, out);
  EXPECT_TRUE(!got || !*got);
}

TEST_P(XattrTest, MissingNameIsENOENT) {
  XattrAt xattr(GetParam());
  std::string out;
  auto got = xattr.get(fd_.get(), "gone", kAccessXattr, out);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().errnum, ENOENT);
  auto set = xattr.set(fd_.get(), "gone", kAccessXattr, encode_acl(extended()));
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().errnum, ENOENT);
}

INSTANTIATE_TEST_SUITE_P(AtSyscallsAndProcFallback, XattrTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "AtSyscalls" : "ProcFallback"; });

}  // namespace
}  // namespace gatehouse::perms

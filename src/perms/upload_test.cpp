// The move_uploaded_file drawback, reproduced with a real upload through
// php-cgi running as the pool's account: fixed by the plan, found by audit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accounts/identity.hpp"
#include "perms/apply.hpp"
#include "perms/audit.hpp"
#include "perms/test_tree.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::Contains;
using ::testing::Field;
using testing_support::kernel_allows;
using testing_support::Op;
using testing_support::TestTree;

constexpr const char* kBoundary = "gh-boundary-42";

class UploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.sites[0].applications[0].writable.push_back(uploads_);
    std::filesystem::create_directories(uploads_);
    std::ofstream(tree_.at("srv/shop/public/upload.php"))
        << "<?php echo move_uploaded_file($_FILES['f']['tmp_name'], $_POST['to']) ? 'moved' : 'failed';\n";
  }

  Plan plan() const {
    Plan p = make_plan(config_);
    std::erase_if(p.grants, [&](const Grant& g) { return !is_within(g.path, tree_.root()); });
    return p;
  }

  // POSTs a file to upload.php through php-cgi (CGI mode) as the shop pool,
  // with the worker umask 007; returns php's output.
  std::string upload(const std::string& name) {
    const Path body = tree_.at("body");
    std::ofstream(body, std::ios::binary)
        << "--" << kBoundary << "\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
        << (uploads_ / name).string() << "\r\n--" << kBoundary
        << "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" << name
        << "\"\r\nContent-Type: text/plain\r\n\r\nuploaded content\r\n--" << kBoundary << "--\r\n";
    const auto id = *accounts::resolve_identity(tree_.shop());
    const std::string command = "umask 007 && env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST SCRIPT_FILENAME=" +
                                tree_.at("srv/shop/public/upload.php").string() +
                                " 'CONTENT_TYPE=multipart/form-data; boundary=" + kBoundary +
                                "' CONTENT_LENGTH=" + std::to_string(std::filesystem::file_size(body)) +
                                " setpriv --reuid=" + std::to_string(id.uid) + " --regid=" + std::to_string(id.gid) +
                                " --init-groups php-cgi -d cgi.force_redirect=0 -d upload_tmp_dir=" +
                                config_.pools[0].ini.upload_tmp_dir->string() + " < " + body.string() + " 2>&1";
    return testing_support::shell(command);
  }

  TestTree tree_;
  config::Config config_ = tree_.config();
  Path uploads_ = tree_.at("srv/shop/public/uploads");
};

TEST_F(UploadTest, PlanMakesUploadsReadableToTheAnonymousAccount) {
  ASSERT_TRUE(apply(plan(), ApplyOptions{config_.server.state_dir}));
  ASSERT_THAT(upload("a.txt"), ::testing::EndsWith("\r\n\r\nmoved"));
  EXPECT_TRUE(kernel_allows(*accounts::resolve_identity(tree_.anonymous()), uploads_ / "a.txt", Op::Read));
  EXPECT_FALSE(kernel_allows(*accounts::resolve_identity(tree_.blog()), uploads_ / "a.txt", Op::Read));
  auto report = audit(config_, plan());
  ASSERT_TRUE(report);
  EXPECT_THAT(report->findings, ::testing::Not(Contains(Field(&Finding::rule, "move-uploaded-file-acl"))));
}

TEST_F(UploadTest, WithoutTheFixUploadsAreUnreadableAndAuditSaysWhy) {
  Plan unfixed = plan();
  std::erase_if(unfixed.grants, [](const Grant& g) { return g.reason.starts_with("move_uploaded_file"); });
  ASSERT_TRUE(apply(unfixed, ApplyOptions{config_.server.state_dir}));
  ASSERT_THAT(upload("b.txt"), ::testing::EndsWith("\r\n\r\nmoved"));
  EXPECT_FALSE(kernel_allows(*accounts::resolve_identity(tree_.anonymous()), uploads_ / "b.txt", Op::Read))
      << "the drawback: a file uploaded into a public folder that the anonymous account cannot read";
  auto report = audit(config_, plan());
  ASSERT_TRUE(report);
  EXPECT_THAT(report->findings,
              Contains(::testing::AllOf(Field(&Finding::rule, "move-uploaded-file-acl"),
                                        Field(&Finding::path, config_.pools[0].ini.upload_tmp_dir->string()),
                                        Field(&Finding::account, tree_.anonymous()))));
}

}  // namespace
}  // namespace gatehouse::perms

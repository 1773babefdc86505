// Basic authentication through the real PAM stack and /etc/pam.d/gatehouse,
// with real accounts and passwords (needs root, as CI runs it).
#include "accounts/pam_auth.hpp"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>

#include "accounts/test_support.hpp"

namespace gatehouse::accounts {
namespace {

// Sets the password the way an administrator would, through chpasswd's stdin
// (never on a command line, where ps would show it).
void set_password(const std::string& account, const std::string& password) {
  FILE* pipe = popen("/usr/sbin/chpasswd", "w");
  ASSERT_NE(pipe, nullptr);
  fprintf(pipe, "%s:%s\n", account.c_str(), password.c_str());
  ASSERT_EQ(pclose(pipe), 0) << "chpasswd failed for " << account;
}

void run_tool(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->exit_code, 0) << command_error(argv, *r).message();
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PamAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "PAM tests read /etc/shadow through pam_unix: run them as root";
    auto service = find_pam_service();
    ASSERT_TRUE(service) << service.error().message()
                         << "\n/etc/pam.d/gatehouse is missing: run `make` as root (target install-pam)";
    ASSERT_EQ(read_file(*service), read_file(std::string(GH_SOURCE_DIR) + "/config/pam/gatehouse"))
        << *service << " differs from config/pam/gatehouse: run `make` as root (target install-pam)";
    set_password(account_.name(), kPassword);
  }

  static constexpr const char* kPassword = "c0rrect horse:battery";
  testing::TestAccount account_{"gh-tpam-"};
};

TEST_F(PamAuth, RightPasswordGrantsTheAccount) {
  auto outcome = authenticate(account_.name(), kPassword, "192.0.2.7");
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->granted) << outcome->reason;
  EXPECT_EQ(outcome->identity.name, account_.name());
  EXPECT_EQ(outcome->identity.uid, account_.identity().uid);
  EXPECT_EQ(outcome->identity.gid, account_.identity().gid);
}

// Without PAM_FAIL_DELAY taken over, pam_unix would hold the thread 1.5-2.5 s.
TEST_F(PamAuth, WrongPasswordIsDeniedWithoutPamsDelay) {
  const auto start = std::chrono::steady_clock::now();
  auto outcome = authenticate(account_.name(), "c0rrect horse:batterY");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->granted);
  EXPECT_EQ(outcome->reason, "pam_authenticate: Authentication failure");
  EXPECT_LT(took, std::chrono::milliseconds{1200});
}

TEST_F(PamAuth, UnknownUserIsDenied) {
  auto outcome = authenticate("gh-no-such-user-x", kPassword);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->granted);
}

TEST_F(PamAuth, InputNoAccountCanHaveIsDeniedBeforePam) {
  const std::pair<std::string, std::string> cases[] = {
      {"", kPassword},       {"-rf", kPassword},
      {"a b", kPassword},    {"a/b", kPassword},
      {"a:b", kPassword},    {std::string("a\0b", 3), kPassword},
      {"12345", kPassword},  {std::string(33, 'a'), kPassword},
      {account_.name(), ""}, {account_.name(), std::string(kPassword) + std::string(1, '\0') + "x"},
  };
  for (const auto& [user, password] : cases) {
    auto outcome = authenticate(user, password);
    ASSERT_TRUE(outcome) << outcome.error().message();
    EXPECT_FALSE(outcome->granted) << "user '" << user << "'";
  }
}

TEST_F(PamAuth, ExpiredAccountIsDeniedByAccountManagement) {
  run_tool({"/usr/sbin/usermod", "--expiredate", "1970-01-02", account_.name()});
  auto outcome = authenticate(account_.name(), kPassword);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->granted);
  EXPECT_EQ(outcome->reason, "pam_acct_mgmt: User account has expired");
}

TEST_F(PamAuth, LockedAccountIsDenied) {
  run_tool({"/usr/sbin/usermod", "--lock", account_.name()});
  auto outcome = authenticate(account_.name(), kPassword);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->granted);
}

TEST_F(PamAuth, ConcurrentAttemptsEachGetTheirOwnAnswer) {
  std::vector<std::future<bool>> results;
  for (int i = 0; i < 8; ++i) {
    const bool right = i % 2 == 0;
    results.push_back(std::async(std::launch::async, [this, right] {
      auto outcome = authenticate(account_.name(), right ? kPassword : "wrong");
      return outcome && outcome->granted;
    }));
  }
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i].get(), i % 2 == 0) << i;
}

TEST(PamAdmit, RootNeverLogsInOverHttp) {
  auto outcome = admit_account("root");
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->granted);
  EXPECT_EQ(outcome->reason, "account root has uid 0; root never logs in over HTTP");
}

TEST(PamService, MissingServiceFileSaysToRunMake) {
  auto found = find_pam_service("gatehouse-no-such-service");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().errnum, ENOENT);
  EXPECT_EQ(found.error().message(),
            "find PAM service /etc/pam.d/gatehouse-no-such-service failed: No such file or directory: basic "
            "authentication needs it; run `make` as root to install it");
}

TEST(LoginName, AcceptsWhatUseraddAccepts) {
  for (const char* ok : {"alice", "Bob", "j.doe", "www-data", "_svc", "host$", "a1"})
    EXPECT_TRUE(is_login_name(ok)) << ok;
  EXPECT_TRUE(is_login_name(std::string(32, 'x')));
  for (const char* bad : {"", "-x", ".", "..", "123", "a b", "a:b", "a/b", "é", "$", "a$b"})
    EXPECT_FALSE(is_login_name(bad)) << bad;
  EXPECT_FALSE(is_login_name(std::string(33, 'x')));
}

}  // namespace
}  // namespace gatehouse::accounts

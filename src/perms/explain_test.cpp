// explain against the kernel on a matrix of accounts x paths x operations,
// after apply on a real tree; and URL routing by design.md's identity table.
#include "perms/explain.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "perms/apply.hpp"
#include "perms/test_tree.hpp"

namespace gatehouse::perms {
namespace {

using ::testing::HasSubstr;
using testing_support::TestTree;

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = apply(tree_.plan(), ApplyOptions{tree_.config().server.state_dir});
    ASSERT_TRUE(applied) << applied.error().message();
  }
  Answer one(const std::string& account, const std::string& rel, Op op) {
    auto e = explain(tree_.config(), ExplainRequest{tree_.at(rel), account, std::nullopt, {op}});
    if (!e) throw std::runtime_error(e.error().message());
    return e->answers.at(0);
  }
  TestTree tree_;
};

TEST_F(ExplainTest, AgreesWithTheKernelOnTheWholeMatrix) {
  const std::vector<std::string> paths = {"srv",
                                          "srv/shop",
                                          "srv/shop/public",
                                          "srv/shop/public/index.php",
                                          "srv/shop/lib",
                                          "srv/shop/lib/db.php",
                                          "srv/shop/data",
                                          "srv/shop/data/orders.csv",
                                          "srv/blog/tmp",
                                          "srv/blog/public/index.php",
                                          "srv/media/logo.png",
                                          "outside/secret.txt"};
  int checked = 0;
  for (const auto& account : {tree_.anonymous(), tree_.shop(), tree_.blog(), std::string("nobody")}) {
    for (const auto& rel : paths) {
      auto e =
          explain(tree_.config(),
                  ExplainRequest{tree_.at(rel), account, std::nullopt, {Op::Read, Op::Write, Op::List, Op::Execute}});
      ASSERT_TRUE(e) << e.error().message();
      for (const auto& a : e->answers) {
        EXPECT_TRUE(a.agrees()) << account << " " << to_string(a.op) << " " << rel << ": model " << a.allowed << " ("
                                << a.decided_by << "), kernel " << a.kernel_allowed;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4 * 12 * 4);
}

TEST_F(ExplainTest, NamesTheDecidingEntry) {
  const Answer read = one(tree_.anonymous(), "srv/shop/public/index.php", Op::Read);
  EXPECT_TRUE(read.allowed);
  EXPECT_THAT(read.decided_by, HasSubstr("index.php: user:"));
  const Answer write = one(tree_.anonymous(), "srv/shop/public/index.php", Op::Write);
  EXPECT_FALSE(write.allowed);
  const Answer blocked = one(tree_.blog(), "srv/shop/public/index.php", Op::Read);
  EXPECT_FALSE(blocked.allowed);
  EXPECT_THAT(blocked.decided_by, HasSubstr("/srv/shop: other::--- (no traverse)"));
}

TEST_F(ExplainTest, UrlToAStaticFileIsReadByTheAnonymousAccount) {
  auto e = explain(tree_.config(),
                   ExplainRequest{{}, std::nullopt, "http://shop.localhost:8081/media/logo.png", {Op::Read}});
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->path, tree_.at("srv/media/logo.png").string());
  ASSERT_EQ(e->answers.size(), 1u);
  EXPECT_EQ(e->answers[0].account, tree_.anonymous());
  EXPECT_TRUE(e->answers[0].allowed);
  EXPECT_THAT(e->route, ::testing::Contains("pool shop (" + tree_.shop() + ")"));
}

TEST_F(ExplainTest, UrlToAScriptRunsAsThePoolWithoutImpersonation) {
  auto e = explain(tree_.config(),
                   ExplainRequest{{}, std::nullopt, "http://shop.localhost:8081/blog/index.php", {Op::Read}});
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->path, tree_.at("srv/blog/public/index.php").string());
  ASSERT_EQ(e->answers.size(), 2u);
  EXPECT_EQ(e->answers[0].account, tree_.blog());
  EXPECT_EQ(e->answers[1].account, tree_.blog()) << "fastcgi.impersonate=0: PHP acts as the pool";
  EXPECT_TRUE(e->answers[0].allowed);
}

TEST_F(ExplainTest, ImpersonationMakesPhpActAsTheAnonymousAccount) {
  config::Config config = tree_.config();
  config.pools[1].ini.fastcgi_impersonate = true;
  auto e =
      explain(config, ExplainRequest{{}, std::nullopt, "http://www.shop.localhost:8081/blog/index.php", {Op::Write}});
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->answers[1].account, tree_.anonymous());
  EXPECT_FALSE(e->answers[1].allowed);
  EXPECT_THAT(format_explanation(*e), HasSubstr("fastcgi.impersonate=1"));
}

}  // namespace
}  // namespace gatehouse::perms

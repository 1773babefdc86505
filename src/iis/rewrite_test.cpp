// Rewrite rules: IIS <rule> -> the agreed TOML shape (prompts/rewrite-shape.md),
// checked key by key on the TOML text the import writes.
#include "iis/rewrite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <set>

#include "iis/import.hpp"
#include "iis/test_support.hpp"

namespace gatehouse::iis {
namespace {

using ::testing::HasSubstr;
using namespace testing_support;

const std::set<std::string> kRuleKeys = {"name",
                                         "match",
                                         "ignore_case",
                                         "negate",
                                         "logical_grouping",
                                         "stop_processing",
                                         "action",
                                         "url",
                                         "append_query_string",
                                         "redirect_type",
                                         "status_code",
                                         "substatus_code",
                                         "status_reason",
                                         "status_description",
                                         "conditions"};
const std::set<std::string> kConditionKeys = {"input", "match_type", "pattern", "ignore_case", "negate"};

ImportResult wordpress() {
  auto apphost = load("applicationHost.config");
  auto web = load("sites/shop/public/web.config");
  return import_iis(*apphost, {{"shop", web.get()}}, fixture_options());
}

TEST(Rewrite, WordPressRulesAreWrittenInTheAgreedShape) {
  const auto r = wordpress();
  const toml::table doc = toml::parse(r.toml);
  const toml::array* sites = doc["sites"].as_array();
  ASSERT_NE(sites, nullptr);
  const toml::table* shop = nullptr;
  for (auto& s : *sites)
    if (s.as_table()->get("name")->value<std::string>() == "shop") shop = s.as_table();
  ASSERT_NE(shop, nullptr);
  const toml::array* rules = shop->get("rewrite")->as_array();
  ASSERT_NE(rules, nullptr);
  ASSERT_EQ(rules->size(), 3u);  // the rule using a rewrite map is left out
  for (auto& rule : *rules) {
    for (auto&& [k, v] : *rule.as_table()) EXPECT_TRUE(kRuleKeys.contains(std::string{k.str()})) << k.str();
    if (auto* conds = rule.as_table()->get("conditions")) {
      for (auto& c : *conds->as_array())
        for (auto&& [k, v] : *c.as_table()) EXPECT_TRUE(kConditionKeys.contains(std::string{k.str()})) << k.str();
    }
  }
  const toml::table& wp = *rules->get(2)->as_table();
  EXPECT_EQ(wp["name"].value<std::string>(), "WordPress: http://shop.example.com");
  EXPECT_EQ(wp["match"].value<std::string>(), "^(.*)$");
  EXPECT_EQ(wp["action"].value<std::string>(), "Rewrite");
  EXPECT_EQ(wp["url"].value<std::string>(), "index.php");
  const toml::array& conds = *wp["conditions"].as_array();
  ASSERT_EQ(conds.size(), 2u);
  EXPECT_EQ((*conds.get(0)->as_table())["input"].value<std::string>(), "{REQUEST_FILENAME}");
  EXPECT_EQ((*conds.get(0)->as_table())["match_type"].value<std::string>(), "IsFile");
  EXPECT_EQ((*conds.get(0)->as_table())["negate"].value<bool>(), true);
  EXPECT_EQ((*conds.get(1)->as_table())["match_type"].value<std::string>(), "IsDirectory");

  const toml::table& host = *rules->get(0)->as_table();
  EXPECT_EQ(host["action"].value<std::string>(), "Redirect");
  EXPECT_EQ(host["redirect_type"].value<int64_t>(), 301);
  EXPECT_EQ(host["stop_processing"].value<bool>(), true);
  EXPECT_EQ((*host["conditions"][0].as_table())["pattern"].value<std::string>(), R"(^www\.shop\.example\.com$)");
  const toml::table& block = *rules->get(1)->as_table();
  EXPECT_EQ(block["status_code"].value<int64_t>(), 403);
  EXPECT_EQ(block["status_reason"].value<std::string>(), "Forbidden");
}

TEST(Rewrite, RewriteMapsAndRulesThatUseThemAreReported) {
  const auto r = wordpress();
  EXPECT_EQ(items(r.report, "rewrite rule 'Old product links'")[0].outcome, Outcome::NotMapped);
  EXPECT_EQ(items(r.report, "rewrite/rewriteMaps")[0].outcome, Outcome::NotMapped);
}

std::optional<RewriteRule> one(const std::string& rule_xml, Report& report) {
  static std::unique_ptr<XmlFile> keep;
  keep = xml("<rules>" + rule_xml + "</rules>", "web.config");
  return convert_rule(*keep, keep->doc().document_element().first_child(), report);
}

TEST(Rewrite, ActionsAndOptions) {
  Report report;
  auto r = one(R"(<rule name="a"><match url="^old/(.*)$" ignoreCase="false" negate="true"/>
    <conditions logicalGrouping="MatchAny"><add input="{HTTPS}" pattern="off" ignoreCase="false"/></conditions>
    <action type="Redirect" url="https://{HTTP_HOST}/{R:1}" redirectType="Temporary" appendQueryString="false"/></rule>)",
               report);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ignore_case);
  EXPECT_TRUE(r->negate);
  EXPECT_EQ(r->logical_grouping, "MatchAny");
  EXPECT_EQ(r->redirect_type, 307);
  EXPECT_FALSE(r->append_query_string);
  EXPECT_FALSE(r->conditions[0].ignore_case);
  r = one(R"(<rule name="b" patternSyntax="ExactMatch"><match url="a.php"/><action type="AbortRequest"/></rule>)",
          report);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->match, R"(^a\.php$)");
  EXPECT_EQ(r->action, "AbortRequest");
}

TEST(Rewrite, WhatTheShapeCannotHoldIsLeftOutWithAReason) {
  Report report;
  EXPECT_FALSE(one(
      R"(<rule name="proxy"><match url="(.*)$"/><action type="Rewrite" url="http://backend/{R:1}"/></rule>)", report));
  EXPECT_FALSE(one(
      R"(<rule name="vars"><match url="(.*)$"/><serverVariables><set name="HTTP_X" value="1"/></serverVariables>
    <action type="None"/></rule>)",
      report));
  EXPECT_FALSE(one(
      R"(<rule name="in"><match url="(.*)$"/><conditions><add input="{CACHE_URL}" pattern="x"/></conditions>
    <action type="None"/></rule>)",
      report));
  EXPECT_FALSE(
      one(R"(<rule name="map"><match url="(.*)$"/><action type="Rewrite" url="{Products:{R:1}}"/></rule>)", report));
  EXPECT_FALSE(one(R"(<rule name="off" enabled="false"><match url="(.*)$"/><action type="None"/></rule>)", report));
  ASSERT_EQ(report.items().size(), 5u);
  EXPECT_THAT(report.items()[0].reason, HasSubstr("reverse proxy"));
  EXPECT_THAT(report.items()[1].reason, HasSubstr("serverVariables"));
  EXPECT_THAT(report.items()[2].reason, HasSubstr("{CACHE_URL}"));
  EXPECT_THAT(report.items()[3].reason, HasSubstr("{Products:...} (a rewrite map"));
  EXPECT_EQ(report.items()[4].outcome, Outcome::Mapped);  // disabled: no effect either way
}

// The functions the engine runs are carried over as written (MediaWiki's
// short-URL rule for IIS uses UrlEncode).
TEST(Rewrite, UrlEncodeToLowerAndUrlDecodeAreKept) {
  Report report;
  auto r = one(R"x(<rule name="MediaWiki" stopProcessing="true"><match url="^wiki/(.*)$"/>
    <action type="Rewrite" url="index.php?title={UrlEncode:{R:1}}"/></rule>)x",
               report);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "index.php?title={UrlEncode:{R:1}}");
  r = one(R"x(<rule name="lower"><match url="(.*)"/><conditions><add input="{HTTP_HOST}" pattern="(.*)"/></conditions>
    <action type="Redirect" url="https://{tolower:{C:1}}/{URLDECODE:{R:1}}"/></rule>)x",
          report);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "https://{tolower:{C:1}}/{URLDECODE:{R:1}}");
  for (const auto& item : report.items()) EXPECT_NE(item.outcome, Outcome::NotMapped) << item.reason;
}

TEST(Rewrite, GlobalRulesComeFirstInEverySite) {
  auto apphost = xml(R"(<configuration>
  <system.applicationHost>
    <applicationPools><add name="p"/></applicationPools>
    <sites>
      <site name="a"><application path="/" applicationPool="p"><virtualDirectory path="/" physicalPath="C:\a"/></application>
        <bindings><binding protocol="http" bindingInformation="*:80:a"/></bindings></site>
      <site name="b"><application path="/" applicationPool="p"><virtualDirectory path="/" physicalPath="C:\b"/></application>
        <bindings><binding protocol="http" bindingInformation="*:80:b"/></bindings></site>
    </sites>
  </system.applicationHost>
  <system.webServer><rewrite><globalRules>
    <rule name="no-xmlrpc"><match url="xmlrpc\.php$"/><action type="CustomResponse" statusCode="403"/></rule>
  </globalRules></rewrite></system.webServer>
  <location path="b"><system.webServer><rewrite><rules>
    <rule name="own"><match url="x"/><action type="None"/></rule>
  </rules></rewrite></system.webServer></location>
</configuration>)");
  ImportOptions o;
  ASSERT_TRUE(o.paths.add("C:\\=/srv"));
  const auto r = import_iis(*apphost, {}, o);
  ASSERT_EQ(r.imported.rewrite.size(), 2u);
  ASSERT_EQ(r.imported.rewrite[0][0].size(), 1u);
  EXPECT_EQ(r.imported.rewrite[0][0][0].name, "no-xmlrpc");
  ASSERT_EQ(r.imported.rewrite[1][0].size(), 2u);
  EXPECT_EQ(r.imported.rewrite[1][0][0].name, "no-xmlrpc");
  EXPECT_EQ(r.imported.rewrite[1][0][1].name, "own");
  EXPECT_EQ(items(r.report, "rewrite/rules")[0].outcome, Outcome::Approximated);
  EXPECT_EQ(items(r.report, "rewrite rule 'no-xmlrpc'").size(), 1u);  // reported once, used twice
}

}  // namespace
}  // namespace gatehouse::iis

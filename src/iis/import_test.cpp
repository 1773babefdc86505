// The import of the fixture server (three sites, two pools, <location>
// overrides, web.config files) and of hostile configurations.
#include "iis/import.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "iis/test_support.hpp"

namespace gatehouse::iis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing_support;

struct Fixture {
  std::unique_ptr<XmlFile> apphost = load("applicationHost.config");
  std::unique_ptr<XmlFile> shop = load("sites/shop/public/web.config");
  std::unique_ptr<XmlFile> intranet = load("sites/intranet/web.config");
  ImportResult run(ImportOptions options = fixture_options(), bool web_configs = true) {
    std::vector<WebConfig> w;
    if (web_configs) w = {{"shop", shop.get()}, {"intranet", intranet.get()}};
    return import_iis(*apphost, w, options);
  }
};

const config::Application& app(const config::Config& c, std::string_view site, std::string_view path) {
  const config::Site* s = c.find_site(site);
  EXPECT_NE(s, nullptr) << site;
  for (const auto& a : s->applications)
    if (a.path == path) return a;
  ADD_FAILURE() << "no application " << path;
  return s->applications.front();
}

TEST(Import, PoolsKeepTheirIdentityAndFastCgiSettings) {
  Fixture f;
  auto options = fixture_options();
  ASSERT_TRUE(add_user_map(options, "contoso\\SVC-INTRANET=www-data"));
  const auto r = f.run(options);
  const auto& c = r.imported.config;
  ASSERT_EQ(c.pools.size(), 3u);
  const config::Pool* shop = c.find_pool("Shop-Pool");
  ASSERT_NE(shop, nullptr);
  EXPECT_TRUE(shop->uses_pool_identity());
  EXPECT_EQ(shop->php_ini, "/etc/gatehouse/php/shop/php.ini");
  EXPECT_EQ(shop->fastcgi.max_instances, 8u);
  EXPECT_EQ(shop->fastcgi.instance_max_requests, 10000u);
  EXPECT_EQ(shop->fastcgi.request_timeout, config::Seconds{300});
  EXPECT_EQ(shop->fastcgi.stderr_mode, config::StderrMode::ReturnGeneric500);
  EXPECT_EQ(shop->fastcgi.monitor_changes_to, config::Path{"/etc/gatehouse/php/shop/php.ini"});
  const config::Pool* intranet = c.find_pool("IntranetPool");
  ASSERT_NE(intranet, nullptr);
  EXPECT_EQ(intranet->identity, "www-data");
  EXPECT_EQ(intranet->php_ini, "/etc/gatehouse/php/intranet/php.ini");  // from PHPRC
  EXPECT_EQ(intranet->fastcgi.idle_timeout, config::Seconds{600});
  // periodicRestart privateMemory="512000" (KB): the graceful per-instance memory recycle.
  EXPECT_EQ(intranet->limits.instance_memory_bytes, 512000u * 1024);
  EXPECT_EQ(shop->limits.instance_memory_bytes, 0u);
  auto found = items(r.report, "privateMemory");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].outcome, Outcome::Mapped);
}

TEST(Import, SpecificUserWithoutAUserMapNeedsADecision) {
  Fixture f;
  const auto r = f.run();
  EXPECT_TRUE(r.imported.config.find_pool("IntranetPool")->uses_pool_identity());
  const auto found = items(r.report, "IntranetPool']/processModel@userName");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].outcome, Outcome::Approximated);
  EXPECT_THAT(found[0].reason, HasSubstr("needs a decision"));
  EXPECT_EQ(found[0].line, 56);
  EXPECT_THAT(items(r.report, "@password")[0].reason, HasSubstr("neither read nor decrypted"));
}

TEST(Import, SitesBindingsApplicationsAndVirtualDirectories) {
  Fixture f;
  const auto r = f.run();
  const auto& c = r.imported.config;
  ASSERT_EQ(c.sites.size(), 3u);
  const config::Site* shop = c.find_site("shop");
  ASSERT_NE(shop, nullptr);
  ASSERT_EQ(shop->bindings.size(), 2u);  // the https binding is reported, not served
  EXPECT_EQ(shop->bindings[1].text, "http://192.0.2.10:80:www.shop.example.com");
  EXPECT_EQ(app(c, "shop", "/").physical_path, "/srv/sites/shop/public");
  // The seed's case: a PHP application in a virtual directory with its own pool.
  EXPECT_EQ(app(c, "shop", "/php").physical_path, "/srv/sites/phpapp/public");
  EXPECT_EQ(app(c, "shop", "/php").pool, "IntranetPool");
  ASSERT_EQ(shop->virtual_directories.size(), 1u);
  EXPECT_EQ(shop->virtual_directories[0].physical_path, "/srv/media/shop");
  const auto https = items(r.report, "binding[https");
  ASSERT_EQ(https.size(), 1u);
  EXPECT_EQ(https[0].outcome, Outcome::NotMapped);
  EXPECT_THAT(https[0].reason, HasSubstr("3D9A1F0C6B2E45A79D10C2F8E6B4A1D9C0E7F215"));
  EXPECT_TRUE(c.find_site("Default-Web-Site")->php_extensions.empty());  // no PHP handler there
}

TEST(Import, AuthenticationInheritsServerSiteAndLocation) {
  Fixture f;
  const auto r = f.run();
  const auto& c = r.imported.config;
  EXPECT_TRUE(app(c, "shop", "/").authentication.anonymous_enabled);
  EXPECT_EQ(app(c, "shop", "/").authentication.anonymous_user, config::AnonymousUser::Iusr);
  // <location path="shop/php"> userName="" is deeper than shop's web.config.
  EXPECT_EQ(app(c, "shop", "/php").authentication.anonymous_user, config::AnonymousUser::Pool);
  const auto& intranet = app(c, "intranet", "/").authentication;
  EXPECT_FALSE(intranet.anonymous_enabled);
  EXPECT_TRUE(intranet.basic_enabled);
  EXPECT_EQ(intranet.basic_realm, "Contoso Intranet");
}

TEST(Import, LockedSectionsInWebConfigAreReportedNotApplied) {
  Fixture f;
  const auto r = f.run();
  const auto locked = items(r.report, "windowsAuthentication");
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_EQ(locked[0].outcome, Outcome::NotMapped);
  EXPECT_THAT(locked[0].file, HasSubstr("intranet/web.config"));
  EXPECT_EQ(locked[0].line, 12);
  EXPECT_THAT(locked[0].reason, HasSubstr("500.19"));
  // shop's web.config may set anonymousAuthentication: overrideMode="Allow" for "shop".
  for (const auto& i : items(r.report, "anonymousAuthentication")) EXPECT_NE(i.outcome, Outcome::NotMapped);
}

TEST(Import, OverrideModeDenyLocksAnOtherwiseOpenSection) {
  auto apphost = xml(R"(<configuration>
  <system.applicationHost>
    <applicationPools><add name="p"/></applicationPools>
    <sites><site name="s"><application path="/" applicationPool="p"><virtualDirectory path="/" physicalPath="C:\s"/></application>
      <bindings><binding protocol="http" bindingInformation="*:80:"/></bindings></site></sites>
  </system.applicationHost>
  <location path="s" overrideMode="Deny"><system.webServer><defaultDocument/></system.webServer></location>
</configuration>)");
  auto web = xml(R"(<configuration><system.webServer><defaultDocument><files><clear/><add value="x.php"/></files>
  </defaultDocument></system.webServer></configuration>)",
                 "web.config");
  ImportOptions o;
  ASSERT_TRUE(o.paths.add("C:\\=/srv"));
  const auto r = import_iis(*apphost, {{"s", web.get()}}, o);
  EXPECT_NE(r.imported.config.sites[0].default_documents, std::vector<std::string>{"x.php"});
  EXPECT_EQ(items(r.report, "system.webServer/defaultDocument")[0].outcome, Outcome::NotMapped);
}

TEST(Import, ALocationThatIsNotAnApplicationIsReported) {
  Fixture f;
  const auto r = f.run();
  const auto found = items(r.report, "at 'shop/wp-admin'");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].outcome, Outcome::NotMapped);
  EXPECT_EQ(found[0].line, 231);
}

TEST(Import, RequestFilteringLimitsMapAndTheRestIsReported) {
  Fixture f;
  const auto r = f.run();
  const auto& limits = r.imported.config.server.limits;
  EXPECT_EQ(limits.max_allowed_content_length, 52428800u);
  EXPECT_EQ(limits.max_url_length, 8192u);
  EXPECT_EQ(limits.max_query_string, 4096u);
  const auto hidden = items(r.report, "hiddenSegments");
  ASSERT_EQ(hidden.size(), 2u);  // server level and the shop's web.config
  EXPECT_THAT(hidden[0].reason, HasSubstr("web.config, bin, App_Data"));
  EXPECT_THAT(hidden[1].reason, HasSubstr("wp-config.php"));
  EXPECT_EQ(items(r.report, "fileExtensions")[0].outcome, Outcome::Mapped);
  // The lists fold server -> site -> web.config, as IIS merges them.
  const auto& shop = app(r.imported.config, "shop", "/").request_filtering;
  EXPECT_THAT(shop.hidden_segments, ElementsAre("web.config", "bin", "app_data", "wp-config.php"));
  EXPECT_THAT(shop.denied_extensions, ElementsAre(".config", ".inc", ".bak"));
  EXPECT_THAT(shop.denied_url_sequences, ElementsAre(".."));
  EXPECT_TRUE(shop.allowed_extensions.empty());  // allowUnlisted="true"
  const auto& intranet = app(r.imported.config, "intranet", "/").request_filtering;
  EXPECT_THAT(intranet.hidden_segments, ElementsAre("web.config", "bin", "app_data"));
}

TEST(Import, AllowUnlistedFalseKeepsOnlyTheAllowedExtensions) {
  auto apphost = xml(R"(<configuration><system.applicationHost><sites>
  <site name="s" id="1"><application path="/" applicationPool="p"><virtualDirectory path="/" physicalPath="C:\s"/>
  </application><bindings><binding protocol="http" bindingInformation="*:80:s.example"/></bindings></site>
  </sites><applicationPools><add name="p"/></applicationPools></system.applicationHost>
  <system.webServer><security><requestFiltering><fileExtensions allowUnlisted="false">
  <add fileExtension=".php" allowed="true"/><add fileExtension="." allowed="true"/><add fileExtension=".CSS" allowed="true"/>
  <add fileExtension=".sql" allowed="false"/></fileExtensions></requestFiltering></security></system.webServer>
</configuration>)");
  ImportOptions o;
  ASSERT_TRUE(o.paths.add("C:\\=/srv"));
  const auto r = import_iis(*apphost, {}, o);
  ASSERT_EQ(r.imported.config.sites.size(), 1u);
  const auto& f = r.imported.config.sites[0].root().request_filtering;
  EXPECT_THAT(f.allowed_extensions, ElementsAre(".php", ".", ".css"));
  EXPECT_THAT(f.denied_extensions, ElementsAre(".sql"));
  EXPECT_THAT(r.toml, HasSubstr("allowed_extensions = [\".php\", \".\", \".css\"]"));
}

TEST(Import, AReadOnlyAccessPolicyBecomesAStaticOnlyHandlerPolicy) {
  Fixture f;
  const auto r = f.run();
  const config::Site* shop = r.imported.config.find_site("shop");
  ASSERT_NE(shop, nullptr);
  ASSERT_EQ(shop->handler_policies.size(), 1u);
  EXPECT_EQ(shop->handler_policies[0].path, "/wp-content/uploads");
  EXPECT_FALSE(shop->handler_policies[0].scripts);
  const auto found = items(r.report, "handlers@accessPolicy (/wp-content/uploads)");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].outcome, Outcome::Mapped);
  EXPECT_THAT(r.toml, HasSubstr("[[sites.handler_policies]]\npath = \"/wp-content/uploads\"\nscripts = false"));
  EXPECT_TRUE(items(r.report, "at 'shop/wp-content/uploads'").empty());
}

TEST(Import, ReportIsNotCleanAndEveryItemHasAPlace) {
  Fixture f;
  const auto r = f.run();
  EXPECT_FALSE(r.report.clean());
  for (const auto& i : r.report.items()) {
    EXPECT_GT(i.line, 0) << i.element;
    EXPECT_FALSE(i.reason.empty()) << i.element;
  }
}

TEST(Import, TheConfigurationLoads) {
  Fixture f;
  const auto r = f.run(fixture_options(), false);  // no web.config: no rewrite rules
  const auto loaded = config::load_string(r.toml, "imported.toml", {.check_paths = false});
  EXPECT_EQ(loaded.sites.size(), 3u);
  EXPECT_EQ(loaded.find_pool("Shop-Pool")->fastcgi.max_instances, 8u);
  EXPECT_EQ(loaded.server.limits.max_url_length, 8192u);
  EXPECT_EQ(loaded.sites[2].root().authentication.basic_realm, "Contoso Intranet");
}

TEST(Import, DotDotPathsAndBadPortsAreLeftOut) {
  auto apphost = load("hostile/dotdot-and-bad-port.config");
  ImportOptions o;
  ASSERT_TRUE(o.paths.add("C:\\Sites=/srv/sites"));
  const auto r = import_iis(*apphost, {}, o);
  const auto& c = r.imported.config;
  // "escape" has a '..' root, "only-bad" no usable binding: both left out.
  ASSERT_EQ(c.sites.size(), 2u);
  EXPECT_EQ(c.sites[0].name, "climber");
  EXPECT_EQ(c.sites[0].applications.size(), 1u);
  EXPECT_TRUE(c.sites[0].virtual_directories.empty());
  EXPECT_EQ(c.sites[1].name, "ports");
  ASSERT_EQ(c.sites[1].bindings.size(), 1u);
  EXPECT_EQ(c.sites[1].bindings[0].port, 8080);
  std::size_t bad_ports = 0;
  for (const auto& i : items(r.report, "sites/site[@name='ports']/binding"))
    if (i.outcome == Outcome::NotMapped) {
      EXPECT_THAT(i.reason, HasSubstr("expected a port from 1 to 65535"));
      ++bad_ports;
    }
  EXPECT_EQ(bad_ports, 3u);
  for (const char* element : {"virtualDirectory[@path='/up']@physicalPath", "virtualDirectory[@path='/../etc']",
                              "application[@path='/app/../../x']", "site[@name='escape']", "site[@name='only-bad']"}) {
    const auto found = items(r.report, element);
    ASSERT_FALSE(found.empty()) << element;
    EXPECT_EQ(found.back().outcome, Outcome::NotMapped) << element;
  }
  EXPECT_THAT(items(r.report, "virtualDirectory[@path='/up']")[0].reason, HasSubstr("'..' segment"));
  // The output never names a path with "..".
  EXPECT_EQ(r.toml.find(".."), std::string::npos);
}

TEST(Import, NamesAreMadeGatehouseNames) {
  EXPECT_EQ(gatehouse_name("Default Web Site"), "Default-Web-Site");
  EXPECT_EQ(gatehouse_name("a/b\"c"), "a-b-c");
  EXPECT_EQ(gatehouse_name(""), "unnamed");
}

TEST(Import, ReportJsonCarriesEveryItem) {
  Fixture f;
  const auto r = f.run();
  const auto j = to_json(r.report);
  EXPECT_EQ(j["items"].size(), r.report.items().size());
  EXPECT_EQ(j["not_mapped"], r.report.count(Outcome::NotMapped));
  EXPECT_EQ(j["items"][0]["outcome"], "mapped");
}

}  // namespace
}  // namespace gatehouse::iis

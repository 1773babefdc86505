// Tests of php.ini reading: PHP's INI syntax and the settings Gatehouse acts on.
#include "config/php_ini.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace gatehouse::config {
namespace {

PhpIni parse(std::string_view text, std::vector<Problem>& problems) {
  return parse_php_ini(text, "/etc/p.ini", problems);
}

TEST(PhpIni, ReadsTheSettingsThatDecideWhoWritesWhere) {
  std::vector<Problem> problems;
  const PhpIni ini = parse(R"([PHP]
; a comment
fastcgi.impersonate = 1
upload_tmp_dir = "/srv/shop/tmp/"
session.save_path = "2;0600;/srv/shop/sessions"
error_log = /srv/shop/log/php.log ; trailing comment
include_path = ".:/usr/share/php:/srv/lib"
open_basedir = '/srv/shop:/tmp'
display_errors = Off
)",
                           problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(ini.file, "/etc/p.ini");
  EXPECT_TRUE(ini.fastcgi_impersonate);
  EXPECT_EQ(ini.upload_tmp_dir, Path{"/srv/shop/tmp"});
  EXPECT_EQ(ini.session_save_path, Path{"/srv/shop/sessions"});
  EXPECT_EQ(ini.error_log, Path{"/srv/shop/log/php.log"});
  EXPECT_EQ(ini.include_path, (std::vector<Path>{".", "/usr/share/php", "/srv/lib"}));
  EXPECT_EQ(ini.open_basedir, (std::vector<Path>{"/srv/shop", "/tmp"}));
  EXPECT_EQ(ini.values.at("display_errors"), "Off");
  EXPECT_EQ(ini.values.at("error_log"), "/srv/shop/log/php.log");
  EXPECT_EQ(ini.values.size(), 7u);
}

TEST(PhpIni, SessionSavePathForms) {
  std::vector<Problem> problems;
  EXPECT_EQ(parse("session.save_path = /var/s\n", problems).session_save_path, Path{"/var/s"});
  EXPECT_EQ(parse("session.save_path = \"3;/var/s\"\n", problems).session_save_path, Path{"/var/s"});
  EXPECT_EQ(parse("session.save_path = \"\"\n", problems).session_save_path, std::nullopt);
  EXPECT_TRUE(problems.empty());
}

TEST(PhpIni, DefaultsWhenUnset) {
  std::vector<Problem> problems;
  const PhpIni ini = parse("memory_limit = 128M\n", problems);
  EXPECT_FALSE(ini.fastcgi_impersonate);
  EXPECT_EQ(ini.upload_tmp_dir, std::nullopt);
  EXPECT_EQ(ini.session_save_path, std::nullopt);
  EXPECT_EQ(ini.error_log, std::nullopt);
  EXPECT_TRUE(ini.include_path.empty());
  EXPECT_EQ(parse("error_log = syslog\n", problems).error_log, std::nullopt);
  EXPECT_TRUE(problems.empty());
}

TEST(PhpIni, BooleansAsPhpReadsThem) {
  for (auto yes : {"1", "On", "on", "yes", "TRUE", "2"}) EXPECT_TRUE(ini_bool(yes)) << yes;
  for (auto no : {"0", "Off", "no", "false", "", "none", "abc"}) EXPECT_FALSE(ini_bool(no)) << no;
  std::vector<Problem> problems;
  EXPECT_FALSE(parse("fastcgi.impersonate = Off\n", problems).fastcgi_impersonate);
  EXPECT_TRUE(parse("fastcgi.impersonate = \"yes\"\n", problems).fastcgi_impersonate);
  EXPECT_FALSE(parse("fastcgi.impersonate = 1\nfastcgi.impersonate = 0\n", problems).fastcgi_impersonate);
}

TEST(PhpIni, QuotedValues) {
  std::vector<Problem> problems;
  const PhpIni ini = parse("a = \"x ; y\"\nb = 'c\\d'\nc = \"q\\\"r\"\nd =\n", problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(ini.values.at("a"), "x ; y");
  EXPECT_EQ(ini.values.at("b"), "c\\d");
  EXPECT_EQ(ini.values.at("c"), "q\"r");
  EXPECT_EQ(ini.values.at("d"), "");
}

TEST(PhpIni, PerDirectorySectionsAreNotGlobal) {
  std::vector<Problem> problems;
  const PhpIni ini = parse("[PATH=/srv/x]\nupload_tmp_dir = /srv/x/tmp\n[PHP]\nmemory_limit = 1G\n", problems);
  EXPECT_EQ(ini.upload_tmp_dir, std::nullopt);
  EXPECT_EQ(ini.values.count("upload_tmp_dir"), 0u);
  EXPECT_EQ(ini.values.at("memory_limit"), "1G");
}

TEST(PhpIni, ProblemsNameTheLine) {
  std::vector<Problem> problems;
  parse("ok = 1\n# old comment\njust words\n[broken\nq = \"open\nupload_tmp_dir = tmp\n", problems);
  std::vector<std::string> got;
  for (const auto& p : problems) got.push_back(p.str());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "/etc/p.ini:2:1: '#' comments are not PHP INI syntax (PHP 7 and later): use ';'",
                     "/etc/p.ini:3:1: expected \"key = value\", got \"just words\"",
                     "/etc/p.ini:4:1: expected a section header \"[name]\", got \"[broken\"",
                     "/etc/p.ini:5:1: unterminated quoted value for 'q'",
                     "/etc/p.ini:6:1: key 'upload_tmp_dir': expected an absolute path, got \"tmp\"",
                 }));
}

TEST(PhpIni, ReadFromDisk) {
  char dir[] = "/tmp/gh-ini-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const Path file = Path{dir} / "php.ini";
  std::ofstream{file} << "upload_tmp_dir = /srv/u\n";
  auto ini = read_php_ini(file);
  ASSERT_TRUE(ini.has_value()) << ini.error().message();
  EXPECT_EQ(ini->upload_tmp_dir, Path{"/srv/u"});
  std::ofstream{file} << "bad line\n";
  EXPECT_EQ(read_php_ini(file).error().message(), "parse php.ini " + file.string() + " failed: " + file.string() +
                                                      ":1:1: expected \"key = value\", got \"bad line\"");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(read_php_ini(file).error().message(),
            "read php.ini " + file.string() + " failed: No such file or directory");
}

}  // namespace
}  // namespace gatehouse::config

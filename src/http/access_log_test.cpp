// W3C access log lines: field order, escaping, and files with header lines.
#include "http/access_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gatehouse::http {
namespace {

TEST(AccessLog, FormatsIisFieldsWithDashesForEmptyValues) {
  AccessRecord r;
  r.date_time = "2026-11-28 07:13:11";
  r.server_ip = "127.0.0.1";
  r.method = "GET";
  r.uri_stem = "/index.html";
  r.server_port = 8081;
  r.client_ip = "127.0.0.1";
  r.user_agent = "curl/7.88.1";
  r.status = 200;
  r.time_taken_ms = 3;
  r.protocol = "HTTP/1.1";
  std::string out;
  append_record(out, r);
  EXPECT_EQ(out,
            "2026-11-28 07:13:11 127.0.0.1 GET /index.html - 8081 - 127.0.0.1 curl/7.88.1 - 200 0 0 3 HTTP/1.1 -\n");
  r.protocol = "HTTP/2";
  r.tls_version = "TLSv1.3";
  out.clear();
  append_record(out, r);
  EXPECT_TRUE(out.ends_with(" 200 0 0 3 HTTP/2 TLSv1.3\n")) << out;
}

TEST(AccessLog, ValuesCannotForgeFieldsOrLines) {
  AccessRecord r;
  r.date_time = "2026-11-28 07:13:11";
  r.method = "GET";
  r.uri_stem = "/a b";
  r.user_agent = "Mozilla/5.0 (X)\n2026-11-28 00:00:00 evil 200";
  r.referer = "a+b%c\r";
  r.status = 404;
  r.substatus = 3;
  r.win32_status = 2;
  std::string out;
  append_record(out, r);
  EXPECT_EQ(out,
            "2026-11-28 07:13:11 - GET /a+b - 0 - - Mozilla/5.0+(X)%0A2026-11-28+00:00:00+evil+200 a+b%c%0D "
            "404 3 2 0 - -\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
}

TEST(AccessLog, WritesHeaderOncePerDailyFile) {
  auto dir = std::filesystem::temp_directory_path() / ("gh-log-" + std::to_string(::getpid())) / "site";
  {
    AccessLog log(dir);
    std::time_t t = 1795850000;  // 2026-11-28
    ASSERT_TRUE(log.write("line1\n", t).has_value());
    ASSERT_TRUE(log.write("line2\n", t).has_value());
    ASSERT_TRUE(log.write("line3\n", t + 86400).has_value());
  }
  std::ifstream f1(dir / "u_ex261128.log");
  std::stringstream s1;
  s1 << f1.rdbuf();
  EXPECT_EQ(s1.str(),
            "#Software: Gatehouse 0.1.0\n#Version: 1.0\n#Date: 2026-11-28 07:13:20\n"
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
            "cs(Referer) sc-status sc-substatus sc-win32-status time-taken cs-version x-tls-version\nline1\nline2\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "u_ex261129.log"));
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace gatehouse::http

// The admin listener's texts from known numbers: Prometheus samples, escaping, the status page.
#include "admin/render.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gatehouse::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Sample known() {
  Sample s;
  metrics::SiteMetrics site;
  site.observe(200, 0, 0, 100, std::chrono::milliseconds(3));
  site.observe(401, 3, 5, 50, std::chrono::milliseconds(30));
  site.observe(503, 0, 0, 10, std::chrono::seconds(20));
  s.sites.push_back(site.sample("shop\"<b>"));
  pool::PoolStats st;
  st.busy = 2, st.idle = 1, st.queued = 4, st.spawned = 7, st.served = 11;
  st.recycles_by = {1, 2, 3, 4};
  st.recent_recycles.push_back({std::chrono::system_clock::from_time_t(3600), pool::RecycleReason::FileChange});
  s.pools.push_back({"shop", {{"gh-pool-shop", st}}});
  s.pools.push_back({"idle", {}});
  return s;
}

TEST(AdminRender, PrometheusSamplesFromKnownNumbers) {
  const auto text = prometheus(known());
  const std::string site = "site=\"shop\\\"<b>\"";
  EXPECT_THAT(text, HasSubstr("gatehouse_requests_total{" + site + ",code=\"2xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_requests_total{" + site + ",code=\"4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_access_denied_total{" + site + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_response_bytes_total{" + site + "} 160\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_body_bytes_total{" + site + "} 5\n"));
  // Cumulative buckets: 3 ms is in le=0.005, 30 ms in le=0.05, 20 s only in +Inf.
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_bucket{" + site + ",le=\"0.0025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_bucket{" + site + ",le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_bucket{" + site + ",le=\"0.05\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_bucket{" + site + ",le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_bucket{" + site + ",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_request_duration_seconds_sum{" + site + "} 20.033\n"));
  const std::string set = "pool=\"shop\",account=\"gh-pool-shop\"";
  EXPECT_THAT(text, HasSubstr("gatehouse_pool_instances{" + set + ",state=\"busy\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_pool_queue_length{" + set + "} 4\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_pool_recycles_total{" + set + ",reason=\"reload\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_pool_online{pool=\"idle\"} 1\n"));
}

TEST(AdminRender, StatusPageEscapesNamesAndDrawsTheChart) {
  std::deque<Point> history;
  const auto t0 = std::chrono::steady_clock::now();
  history.push_back({t0, 0, 0});
  history.push_back({t0 + std::chrono::seconds(2), 20, 1});
  const auto html = status_page(known(), history, std::chrono::seconds(42));
  EXPECT_THAT(html, HasSubstr("shop&quot;&lt;b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("shop\"<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"refresh\" content=\"5\">"));
  EXPECT_THAT(html, HasSubstr("now 10.0 req/s"));
  EXPECT_THAT(html, HasSubstr("5.0% of 20 requests"));
  EXPECT_THAT(html, HasSubstr("01:00:00 file_change"));
  EXPECT_THAT(html, HasSubstr("2 busy, 1 idle"));
}

}  // namespace
}  // namespace gatehouse::admin

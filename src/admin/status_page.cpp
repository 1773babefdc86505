// The status page: a row per pool (busy/idle bars, queue, recent recycles),
// the requests per second of the last minutes as an inline SVG chart drawn
// here (the page needs no script), and the error rate per site.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "admin/render.hpp"

namespace gatehouse::admin {
namespace {

constexpr const char* kStyle =
    "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
    "h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left}"
    ".bar{display:inline-block;width:14px;height:14px;margin-right:2px;border-radius:2px}"
    ".busy{background:#d9822b}.idle{background:#8fc79a}.starting{background:#9bb8d9}.retiring{background:#ccc}"
    ".offline{color:#b00;font-weight:bold}.ok{color:#287a3a}svg{background:#fff;border:1px solid #ddd}";

// Requests per second between consecutive points.
std::vector<double> rates(const std::deque<Point>& history) {
  std::vector<double> out;
  for (std::size_t i = 1; i < history.size(); ++i) {
    const double dt = std::chrono::duration<double>(history[i].at - history[i - 1].at).count();
    out.push_back(dt > 0 ? static_cast<double>(history[i].requests - history[i - 1].requests) / dt : 0);
  }
  return out;
}

std::string chart(const std::deque<Point>& history) {
  const auto r = rates(history);
  constexpr int kWidth = 600, kHeight = 120;
  const double top = std::max(1.0, r.empty() ? 1.0 : *std::max_element(r.begin(), r.end()));
  std::string points;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double x = r.size() == 1 ? kWidth : static_cast<double>(i) * kWidth / static_cast<double>(r.size() - 1);
    points += fmt::format("{:.1f},{:.1f} ", x, kHeight - r[i] / top * (kHeight - 10));
  }
  const double span =
      history.size() < 2 ? 0 : std::chrono::duration<double>(history.back().at - history.front().at).count();
  return fmt::format(
      "<svg id=\"rate-chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"requests per second\"><polyline fill=\"none\" stroke=\"#2b6cb0\" stroke-width=\"2\" "
      "points=\"{2}\"/><text x=\"4\" y=\"14\" font-size=\"12\">max {3:.1f} req/s</text></svg>"
      "<p>Requests per second over the last {4:.0f} s (now {5:.1f} req/s).</p>",
      kWidth, kHeight, points, top, span, r.empty() ? 0.0 : r.back());
}

std::string bars(const pool::PoolStats& s) {
  std::string out;
  auto add = [&](unsigned n, const char* cls) {
    for (unsigned i = 0; i < n; ++i) out += fmt::format("<span class=\"bar {}\" title=\"{}\"></span>", cls, cls);
  };
  add(s.busy, "busy");
  add(s.idle, "idle");
  add(s.starting, "starting");
  add(s.retiring, "retiring");
  return out + fmt::format(" {} busy, {} idle", s.busy, s.idle);
}

std::string recycles(const pool::PoolStats& s) {
  if (s.recent_recycles.empty()) return "none";
  std::string out;
  for (auto it = s.recent_recycles.rbegin(); it != s.recent_recycles.rend(); ++it) {
    const std::time_t t = std::chrono::system_clock::to_time_t(it->when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    out += fmt::format("{}{:%H:%M:%S} {}", out.empty() ? "" : "<br>", tm,
                       pool::kRecycleReasons[static_cast<int>(it->reason)]);
  }
  return out;
}

void pool_rows(std::string& out, const std::vector<pool::PoolReport>& pools) {
  out +=
      "<h2>Pools</h2><table id=\"pools\"><tr><th>pool</th><th>account</th><th>state</th><th>instances</th>"
      "<th>queue</th><th>requests</th><th>recent recycles (UTC)</th></tr>";
  for (const auto& p : pools) {
    if (p.sets.empty())
      out += fmt::format(
          "<tr><td>{}</td><td></td><td class=\"ok\">online</td><td>no worker started yet</td>"
          "<td>0</td><td>0</td><td>none</td></tr>",
          html_escape(p.name));
    for (const auto& [account, s] : p.sets)
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td></tr>",
          html_escape(p.name), html_escape(account), s.offline ? "offline" : "ok",
          s.offline ? "OFFLINE (rapid-fail)" : "online", bars(s), s.queued, s.served, recycles(s));
  }
  out += "</table>";
}

void site_rows(std::string& out, const std::vector<metrics::SiteSample>& sites) {
  out +=
      "<h2>Sites</h2><table id=\"sites\"><tr><th>site</th><th>requests</th><th>2xx</th><th>3xx</th><th>4xx</th>"
      "<th>5xx</th><th>error rate</th></tr>";
  for (const auto& s : sites) {
    std::uint64_t total = 0;
    for (auto n : s.by_class) total += n;
    const double rate = total ? 100.0 * static_cast<double>(s.by_class[5]) / static_cast<double>(total) : 0;
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}%</td></tr>",
                       html_escape(s.name), total, s.by_class[2], s.by_class[3], s.by_class[4], s.by_class[5], rate);
  }
  out += "</table>";
}

}  // namespace

std::string status_page(const Sample& sample, const std::deque<Point>& history, std::chrono::seconds uptime) {
  std::string out = fmt::format(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">"
      "<title>Gatehouse status</title><style>{}</style></head><body><h1>Gatehouse status</h1>"
      "<p>Up {} s. This page refreshes every 5 s; the same numbers for Prometheus are at "
      "<a href=\"/metrics\">/metrics</a>.</p><h2>Requests per second</h2>",
      kStyle, uptime.count());
  out += chart(history);
  const double errors = history.size() < 2 ? 0 : static_cast<double>(history.back().errors - history.front().errors);
  const double requests =
      history.size() < 2 ? 0 : static_cast<double>(history.back().requests - history.front().requests);
  out += fmt::format("<p id=\"error-rate\">Error rate (5xx) over the same time: {:.1f}% of {:.0f} requests.</p>",
                     requests > 0 ? 100.0 * errors / requests : 0.0, requests);
  pool_rows(out, sample.pools);
  site_rows(out, sample.sites);
  return out + "</body></html>\n";
}

}  // namespace gatehouse::admin

// Prometheus text format 0.0.4 and the HTML status page (inline SVG chart, no script, no external asset).
#include "admin/render.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gatehouse::admin {
namespace {

std::string num(double v) { return fmt::format("{}", v); }

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void histogram(std::string& out, std::string_view name, const std::string& labels, const metrics::HistogramSample& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < metrics::kBuckets.size(); ++i) {
    cumulative += h.counts[i];
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, num(metrics::kBuckets[i]), cumulative);
  }
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, h.count);
  out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, num(h.sum_seconds), name, labels, h.count);
}

std::string site_label(const metrics::SiteSample& s) { return fmt::format("site=\"{}\"", label_escape(s.name)); }

std::string set_label(const pool::PoolReport& p, const std::string& account) {
  return fmt::format("pool=\"{}\",account=\"{}\"", label_escape(p.name), label_escape(account));
}

void site_metrics(std::string& out, const std::vector<metrics::SiteSample>& sites) {
  static constexpr const char* kClasses[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  header(out, "gatehouse_requests_total", "counter", "Requests answered, by site and status class.");
  for (const auto& s : sites)
    for (std::size_t c = 1; c < s.by_class.size(); ++c)
      out += fmt::format("gatehouse_requests_total{{{},code=\"{}\"}} {}\n", site_label(s), kClasses[c], s.by_class[c]);
  header(out, "gatehouse_request_duration_seconds", "histogram", "Time from the request head to the last byte sent.");
  for (const auto& s : sites) histogram(out, "gatehouse_request_duration_seconds", site_label(s), s.duration);
  header(out, "gatehouse_request_body_bytes_total", "counter", "Request body bytes received.");
  for (const auto& s : sites)
    out += fmt::format("gatehouse_request_body_bytes_total{{{}}} {}\n", site_label(s), s.bytes_received);
  header(out, "gatehouse_response_bytes_total", "counter", "Response bytes sent (head and body).");
  for (const auto& s : sites)
    out += fmt::format("gatehouse_response_bytes_total{{{}}} {}\n", site_label(s), s.bytes_sent);
  header(out, "gatehouse_access_denied_total", "counter",
         "401.3 answers: the file system denied the request's account.");
  for (const auto& s : sites)
    out += fmt::format("gatehouse_access_denied_total{{{}}} {}\n", site_label(s), s.denied_401_3);
}

template <typename F>
void per_set(std::string& out, const std::vector<pool::PoolReport>& pools, std::string_view name, std::string_view type,
             std::string_view help, F value) {
  header(out, name, type, help);
  for (const auto& p : pools)
    for (const auto& [account, st] : p.sets)
      out += fmt::format("{}{{{}}} {}\n", name, set_label(p, account), value(st));
}

void pool_metrics(std::string& out, const std::vector<pool::PoolReport>& pools) {
  header(out, "gatehouse_pool_online", "gauge",
         "1 when the pool takes requests, 0 while rapid-fail protection holds it.");
  for (const auto& p : pools) {
    bool offline = false;
    for (const auto& [account, st] : p.sets) offline = offline || st.offline;
    out += fmt::format("gatehouse_pool_online{{pool=\"{}\"}} {}\n", label_escape(p.name), offline ? 0 : 1);
  }
  header(out, "gatehouse_pool_instances", "gauge", "php-cgi workers by state.");
  for (const auto& p : pools)
    for (const auto& [account, st] : p.sets) {
      const std::pair<const char*, unsigned> states[] = {
          {"busy", st.busy}, {"idle", st.idle}, {"starting", st.starting}, {"retiring", st.retiring}};
      for (const auto& [state, n] : states)
        out += fmt::format("gatehouse_pool_instances{{{},state=\"{}\"}} {}\n", set_label(p, account), state, n);
    }
  per_set(out, pools, "gatehouse_pool_queue_length", "gauge", "Requests waiting for a worker.",
          [](const pool::PoolStats& s) { return s.queued; });
  per_set(out, pools, "gatehouse_pool_requests_total", "counter", "Requests the pool's workers finished.",
          [](const pool::PoolStats& s) { return s.served; });
  per_set(out, pools, "gatehouse_pool_spawns_total", "counter", "php-cgi workers started.",
          [](const pool::PoolStats& s) { return s.spawned; });
  per_set(out, pools, "gatehouse_pool_worker_failures_total", "counter",
          "Workers that failed to start or died unasked.", [](const pool::PoolStats& s) { return s.failures; });
  per_set(out, pools, "gatehouse_pool_rapid_fail_events_total", "counter",
          "Times rapid-fail protection took the pool offline.",
          [](const pool::PoolStats& s) { return s.offline_events; });
  header(out, "gatehouse_pool_recycles_total", "counter", "Workers retired by a recycle, by reason.");
  for (const auto& p : pools)
    for (const auto& [account, st] : p.sets)
      for (std::size_t r = 0; r < st.recycles_by.size(); ++r)
        out += fmt::format("gatehouse_pool_recycles_total{{{},reason=\"{}\"}} {}\n", set_label(p, account),
                           pool::kRecycleReasons[r], st.recycles_by[r]);
  header(out, "gatehouse_pool_queue_wait_seconds", "histogram", "Time from asking for a worker to getting one.");
  for (const auto& p : pools)
    for (const auto& [account, st] : p.sets)
      histogram(out, "gatehouse_pool_queue_wait_seconds", set_label(p, account), st.queue_wait);
}

}  // namespace

std::string label_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string prometheus(const Sample& sample) {
  std::string out;
  site_metrics(out, sample.sites);
  pool_metrics(out, sample.pools);
  return out;
}

}  // namespace gatehouse::admin

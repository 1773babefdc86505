// Lock-free counters for the admin listener's Prometheus metrics (issue 12):
// a histogram of durations with fixed buckets, and per-site request counters.
// Any thread adds (relaxed atomics); any thread reads a sample.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::metrics {

// Upper bounds in seconds, Prometheus style (cumulative when rendered).
inline constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

struct HistogramSample {
  std::array<std::uint64_t, kBuckets.size() + 1> counts{};  // per bucket (not cumulative), then +Inf
  std::uint64_t count = 0;
  double sum_seconds = 0;
};

class Histogram {
 public:
  void observe(std::chrono::nanoseconds d) {
    const double s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < kBuckets.size() && s > kBuckets[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count()), std::memory_order_relaxed);
  }
  HistogramSample sample() const {
    HistogramSample out;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      out.counts[i] = counts_[i].load(std::memory_order_relaxed);
      out.count += out.counts[i];
    }
    out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// One site's requests (by its access-log records), across reloads.
struct SiteSample {
  std::string name;
  std::array<std::uint64_t, 6> by_class{};  // [1..5] 1xx..5xx, [0] other
  std::uint64_t denied_401_3 = 0;
  std::uint64_t bytes_received = 0, bytes_sent = 0;
  HistogramSample duration;
};

class SiteMetrics {
 public:
  void observe(unsigned status, unsigned substatus, std::uint64_t received, std::uint64_t sent,
               std::chrono::nanoseconds took) {
    by_class_[status >= 100 && status < 600 ? status / 100 : 0].fetch_add(1, std::memory_order_relaxed);
    if (status == 401 && substatus == 3) denied_.fetch_add(1, std::memory_order_relaxed);
    received_.fetch_add(received, std::memory_order_relaxed);
    sent_.fetch_add(sent, std::memory_order_relaxed);
    duration_.observe(took);
  }
  SiteSample sample(std::string_view name) const {
    SiteSample s;
    s.name = name;
    for (std::size_t i = 0; i < s.by_class.size(); ++i) s.by_class[i] = by_class_[i].load(std::memory_order_relaxed);
    s.denied_401_3 = denied_.load(std::memory_order_relaxed);
    s.bytes_received = received_.load(std::memory_order_relaxed);
    s.bytes_sent = sent_.load(std::memory_order_relaxed);
    s.duration = duration_.sample();
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};
  std::atomic<std::uint64_t> denied_{0}, received_{0}, sent_{0};
  Histogram duration_;
};

}  // namespace gatehouse::metrics

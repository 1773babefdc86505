// What the admin listener answers: the Prometheus text of the pools and sites
// (GET /metrics) and the status page (GET /status), from one sample of both.
// Pure: the tests render known numbers.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "common/html_escape.hpp"
#include "metrics/histogram.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::admin {

struct Sample {
  std::vector<pool::PoolReport> pools;
  std::vector<metrics::SiteSample> sites;
};

// Requests and 5xx answers of all sites together at one moment, for the
// status page's chart (one point every few seconds, the last minutes).
struct Point {
  std::chrono::steady_clock::time_point at;
  std::uint64_t requests = 0, errors = 0;
};

std::string prometheus(const Sample& sample);
std::string status_page(const Sample& sample, const std::deque<Point>& history, std::chrono::seconds uptime);

std::string label_escape(std::string_view text);

}  // namespace gatehouse::admin

// `gatehouse perms audit`: the live file system against the plan (missing
// grants, extra access, open group/other bits) and the risk rules of the
// two schemes, each finding naming path, account, rule and fix.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

struct Finding {
  std::string rule;  // "missing-grant", "anonymous-can-write", ...
  std::string path;
  std::string account;  // empty when no single account is concerned
  std::string detail;
  std::string fix;
};

struct AuditReport {
  std::size_t examined = 0;
  std::vector<Finding> findings;
};

Result<AuditReport> audit(const config::Config& config, const Plan& plan);

std::string format_findings(const AuditReport& report);
nlohmann::json to_json(const AuditReport& report);

}  // namespace gatehouse::perms

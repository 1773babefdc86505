// `gatehouse perms audit`: the live file system against the plan (missing
// grants, extra access, open group/other bits that some account can reach,
// grants that cross pools) and the risk rules of the two schemes, each
// finding naming path, account, rule, severity and fix.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

// high: another pool or the anonymous user can write or read what it must not;
// medium: shared folders, missing grants; low: mode hygiene; info: notes
// about what no account can reach (shown with --verbose, never fail the audit).
enum class Severity { High, Medium, Low, Info };
std::string_view to_string(Severity severity);

struct Finding {
  std::string rule;  // "missing-grant", "anonymous-can-write", ...
  std::string path;
  std::string account;  // the account, or "other" / "group NAME" for open mode bits
  std::string detail;
  std::string fix;  // a command or setting, pasteable as is
  Severity severity = Severity::Medium;
};

struct AuditReport {
  std::size_t examined = 0;
  std::vector<Finding> findings;  // info notes included

  // Findings that fail the audit (exit 1): every severity but info.
  std::size_t failing() const;
};

Result<AuditReport> audit(const config::Config& config, const Plan& plan);

struct FormatOptions {
  bool verbose = false;   // also the info notes, and every line of a long group
  std::size_t width = 0;  // terminal columns; 0: 100
};

// Grouped by severity then rule, with counts; paths shortened in the middle
// so each line fits `width`.
std::string format_findings(const AuditReport& report, const FormatOptions& options = {});
nlohmann::json to_json(const AuditReport& report);

// "/srv/a/very/long/path" in at most `width` characters: "/srv/a/…/long/path".
std::string shorten_middle(const std::string& text, std::size_t width);

}  // namespace gatehouse::perms

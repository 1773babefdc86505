// The audit as a person reads it (grouped per severity and rule, counted,
// fitted to the terminal) and as scripts read it (JSON, every field).
#include <algorithm>
#include <map>

#include "perms/audit.hpp"

namespace gatehouse::perms {
namespace {

constexpr std::size_t kDefaultWidth = 100;
constexpr std::size_t kShownPerGroup = 10;  // more with --verbose

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The text cut at the end to `width` characters ("…" counts as one).
std::string fit_end(const std::string& text, std::size_t width) {
  if (text.size() <= width || width < 2) return text;
  return text.substr(0, width - 1) + "\u2026";
}

std::string upper(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

// "HIGH   cross-pool-access (2)"
std::string fmt_line(const std::string& severity, const std::string& rule, std::size_t n) {
  return severity + std::string(severity.size() < 7 ? 7 - severity.size() : 1, ' ') + rule + " (" + std::to_string(n) +
         ")\n";
}

void format_group(std::string& out, const std::vector<const Finding*>& group, const FormatOptions& o,
                  std::size_t width) {
  const Finding& first = *group.front();
  out += fmt_line(upper(to_string(first.severity)), first.rule, group.size());
  const bool same_fix = std::all_of(group.begin(), group.end(), [&](auto* f) { return f->fix == first.fix; });
  if (same_fix && !first.fix.empty()) out += "  fix: " + first.fix + "\n";
  const std::size_t shown = o.verbose ? group.size() : std::min(group.size(), kShownPerGroup);
  for (std::size_t i = 0; i < shown; ++i) {
    const Finding& f = *group[i];
    // Path gets up to half the line; account and detail the rest.
    const std::string path = shorten_middle(f.path, std::max<std::size_t>(width / 2, 20));
    std::string line = "  " + path + "  " + (f.account.empty() ? "" : f.account + ": ") + f.detail;
    out += (o.verbose ? line : fit_end(line, width)) + "\n";
    if (!same_fix && !f.fix.empty()) out += "    fix: " + f.fix + "\n";  // whole, to be pasted
  }
  if (shown < group.size())
    out += "  ... and " + std::to_string(group.size() - shown) + " more (--verbose lists them)\n";
}

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::High:
      return "high";
    case Severity::Medium:
      return "medium";
    case Severity::Low:
      return "low";
    case Severity::Info:
      return "info";
  }
  return "?";
}

std::size_t AuditReport::failing() const {
  return std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.severity != Severity::Info; });
}

std::string shorten_middle(const std::string& text, std::size_t width) {
  if (text.size() <= width || width < 5) return text;
  const std::size_t keep = width - 1;  // "…" takes one column
  const std::size_t head = keep / 2;
  return text.substr(0, head) + "\u2026" + text.substr(text.size() - (keep - head));
}

std::string format_findings(const AuditReport& report, const FormatOptions& options) {
  const std::size_t width = options.width == 0 ? kDefaultWidth : options.width;
  std::map<std::pair<Severity, std::string>, std::vector<const Finding*>> groups;  // severity order, then rule
  std::map<Severity, std::size_t> counts;
  for (const auto& f : report.findings) {
    ++counts[f.severity];
    if (f.severity != Severity::Info || options.verbose) groups[{f.severity, f.rule}].push_back(&f);
  }
  std::string out;
  for (const auto& [key, group] : groups) {
    format_group(out, group, options, width);
    out += "\n";
  }
  out += std::to_string(report.examined) + " paths examined: " + count_of(report.failing(), "finding", "findings");
  if (report.failing() != 0) {
    std::string parts;
    for (Severity s : {Severity::High, Severity::Medium, Severity::Low})
      if (counts[s] != 0)
        parts += (parts.empty() ? "" : ", ") + std::to_string(counts[s]) + " " + std::string(to_string(s));
    out += " (" + parts + ")";
  }
  if (counts[Severity::Info] != 0) {
    out += ", " + count_of(counts[Severity::Info], "info note", "info notes") +
           (options.verbose ? "" : " (--verbose shows them)");
  }
  return out + "\n";
}

nlohmann::json to_json(const AuditReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  std::map<std::string, std::size_t> counts;
  for (const auto& f : report.findings) {
    ++counts[std::string(to_string(f.severity))];
    findings.push_back({{"rule", f.rule},
                        {"severity", to_string(f.severity)},
                        {"path", f.path},
                        {"account", f.account},
                        {"detail", f.detail},
                        {"fix", f.fix}});
  }
  return {{"examined", report.examined}, {"failing", report.failing()}, {"counts", counts}, {"findings", findings}};
}

}  // namespace gatehouse::perms

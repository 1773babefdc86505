// Renders an apply report; see apply_output.hpp.
#include "cli/apply_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

namespace gatehouse::cli {
namespace {

// The plan folder a changed path belongs to: the deepest grant containing it.
std::string folder_of(const perms::Plan& plan, const std::string& path) {
  std::string best;
  for (const auto& g : plan.grants) {
    const std::string root = g.path.string();
    if (root.size() > best.size() && perms::is_within(path, g.path)) best = root;
  }
  return best.empty() ? path : best;
}

// Libacl's numeric "u:1001:" entries with account names, as people read them.
std::string with_names(std::string text, const perms::ApplyReport& r) {
  for (const auto& [name, uid] : r.accounts) {
    const bool placeholder = std::find(r.to_create.begin(), r.to_create.end(), name) != r.to_create.end();
    const std::string from = "u:" + std::to_string(uid) + ":";
    const std::string to = "u:" + name + (placeholder ? "(to be created)" : "") + ":";
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  return text;
}

void print_json(const perms::ApplyReport& r, const ApplyOutput& o) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : r.changes)
    changes.push_back({{"path", c.path}, {"before", with_names(c.before, r)}, {"after", with_names(c.after, r)}});
  std::cout << nlohmann::json{{"dry_run", o.dry_run},
                              {"examined", r.examined},
                              {"changed", r.changed},
                              {"backup", r.backup_id},
                              {"created", r.created},
                              {"missing", r.missing},
                              {"accounts_to_create", r.to_create},
                              {"changes", changes}}
                   .dump(2)
            << "\n";
}

void print_summary(const perms::Plan& plan, const perms::ApplyReport& r) {
  std::map<std::string, std::size_t> per_folder;
  for (const auto& c : r.changes) ++per_folder[folder_of(plan, c.path)];
  for (const auto& [folder, n] : per_folder) {
    std::cout << folder << ": " << n << (n == 1 ? " path" : " paths") << "\n";
    for (const auto& g : plan.grants) {
      if (g.path.string() != folder) continue;
      std::cout << fmt::format("    {} {} ({}): {}\n", g.account, g.rights.str(), perms::to_string(g.scope), g.reason);
    }
  }
  if (!r.changes.empty()) std::cout << "(--verbose lists every path with its ACL before and after)\n";
}

}  // namespace

std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_./-+=:,@%") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void print_apply(const perms::Plan& plan, const perms::ApplyReport& r, const ApplyOutput& o) {
  if (o.json) return print_json(r, o);
  if (o.verbose) {
    for (const auto& c : r.changes)
      std::cout << c.path << "\n  before " << with_names(c.before, r) << "\n  after  " << with_names(c.after, r)
                << "\n";
  } else if (o.dry_run) {
    print_summary(plan, r);
  }
  for (const auto& name : r.to_create) std::cout << "account " << name << ": to be created by perms apply\n";
  for (const auto& p : r.created) std::cout << (o.dry_run ? "would create " : "created ") << p << "\n";
  for (const auto& p : r.missing) std::cout << "missing, skipped: " << p << "\n";
  std::cout << r.examined << " paths examined, " << r.changed << " paths " << (o.dry_run ? "would change" : "changed");
  if (!r.backup_id.empty())
    std::cout << "; backup " << r.backup_id << " (undo: gatehouse perms restore --config " << shell_quote(o.config_file)
              << " " << r.backup_id << ")";
  std::cout << "\n";
}

}  // namespace gatehouse::cli

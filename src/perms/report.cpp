// Renders plans as a table and as JSON.
#include "perms/report.hpp"

#include <algorithm>

namespace gatehouse::perms {
namespace {

std::string scope_text(const Grant& g) {
  std::string out(to_string(g.scope));
  if (g.inherit) out += ", inherited";
  return out;
}

std::string json_scope(Scope scope) {
  switch (scope) {
    case Scope::ThisFolderOnly:
      return "this_folder_only";
    case Scope::ThisFolderAndFiles:
      return "this_folder_and_files";
    case Scope::WholeTree:
      return "whole_tree";
  }
  return "unknown";
}

}  // namespace

std::string format_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string format_table(const Plan& plan) {
  std::vector<std::vector<std::string>> rows = {{"PATH", "ACCOUNT", "RIGHTS", "SCOPE", "REASON"}};
  for (const auto& g : plan.grants) {
    rows.push_back({g.path.string(), g.account, g.rights.str(), scope_text(g), g.reason});
  }
  std::string out = format_columns(rows);
  if (!plan.closed.empty()) {
    out += "\nGroup and other bits give nothing under:\n";
    for (const auto& c : plan.closed) out += "  " + c.path.string() + "  (" + c.reason + ")\n";
  }
  if (!plan.notes.empty()) {
    out += "\nNotes:\n";
    for (const auto& n : plan.notes) out += "  - " + n + "\n";
  }
  return out;
}

nlohmann::json to_json(const Grant& g) {
  nlohmann::json rights = nlohmann::json::array();
  for (auto [bit, name] : {std::pair{Rights::kRead, "read"},
                           {Rights::kList, "list"},
                           {Rights::kTraverse, "traverse"},
                           {Rights::kModify, "modify"}}) {
    if (g.rights.bits & bit) rights.push_back(name);
  }
  return {{"path", g.path.string()},      {"account", g.account}, {"rights", rights},
          {"scope", json_scope(g.scope)}, {"inherit", g.inherit}, {"reason", g.reason}};
}

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json out = {{"grants", nlohmann::json::array()},
                        {"closed", nlohmann::json::array()},
                        {"relocations", nlohmann::json::array()},
                        {"notes", plan.notes}};
  for (const auto& g : plan.grants) out["grants"].push_back(to_json(g));
  for (const auto& c : plan.closed) out["closed"].push_back({{"path", c.path.string()}, {"reason", c.reason}});
  for (const auto& r : plan.relocations) {
    out["relocations"].push_back({{"pool", r.pool},
                                  {"setting", r.setting},
                                  {"current", r.current ? nlohmann::json(r.current->string()) : nlohmann::json()},
                                  {"proposed", r.proposed.string()}});
  }
  return out;
}

}  // namespace gatehouse::perms

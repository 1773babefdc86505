// Human and JSON renderings of a plan: the table administrators read and the
// document scripts consume.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "perms/plan.hpp"

namespace gatehouse::perms {

// Columns PATH, ACCOUNT, RIGHTS, SCOPE, REASON, then closed trees and notes.
std::string format_table(const Plan& plan);
nlohmann::json to_json(const Plan& plan);
nlohmann::json to_json(const Grant& grant);

// Lays rows out in left-aligned columns, two spaces apart (the last unpadded).
std::string format_columns(const std::vector<std::vector<std::string>>& rows);

}  // namespace gatehouse::perms

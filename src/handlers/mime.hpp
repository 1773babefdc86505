// The built-in extension -> Content-Type table of the static file handler.
#pragma once

#include <optional>
#include <string_view>

namespace gatehouse::handlers {

// The Content-Type for a file name, by its extension (case-insensitive).
// nullopt for an extension the table does not know: like IIS (404.3), such
// files are not served, so a stray config.inc.bak or .sql dump never leaks.
std::optional<std::string_view> mime_type_for(std::string_view file_name);

// True when the internal table is sorted (binary search relies on it; for tests).
bool mime_table_is_sorted();

}  // namespace gatehouse::handlers

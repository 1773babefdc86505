// Writes an imported configuration as Gatehouse TOML, in the order and shape
// of the README's example, with rewrite rules in the agreed shape.
#pragma once

#include <string>

#include "iis/import.hpp"

namespace gatehouse::iis {

// `source` names the applicationHost.config in the header comment.
std::string write_toml(const Imported& imported, const std::string& source);

// A TOML basic string: "C:\\x" quoted and escaped.
std::string toml_string(std::string_view text);

}  // namespace gatehouse::iis

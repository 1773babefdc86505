// A readable summary of a loaded configuration, as `gatehouse check` prints it.
#pragma once

#include <string>

#include "config/model.hpp"

namespace gatehouse::config {

// Sites (bindings, applications, virtual directories) then pools (identity,
// php-cgi, php.ini, every effective FastCGI setting, umask, php.ini values).
std::string summary(const Config& config);

}  // namespace gatehouse::config

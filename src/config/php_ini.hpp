// Reads a pool's php.ini (PHP's INI syntax) into PhpIni: the settings that
// decide who writes where (fastcgi.impersonate, upload_tmp_dir,
// session.save_path, error_log, include_path, open_basedir) and every value.
#pragma once

#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/load.hpp"
#include "config/model.hpp"

namespace gatehouse::config {

// PHP's own reading of a boolean setting (zend_ini_parse_bool): "on", "yes",
// "true" (any case) are true, anything else is its integer value != 0.
bool ini_bool(std::string_view value);

// Parses php.ini text. Lines PHP would reject, and relative paths where PHP
// needs a directory, become problems positioned in `file`. Keys in
// [PATH=...] / [HOST=...] sections apply to some scripts only and are left
// out. Values are kept as written, unquoted ("On" stays "On").
PhpIni parse_php_ini(std::string_view text, const Path& file, std::vector<Problem>& problems);

// Reads and parses `file`; fails when it cannot be read or has a problem.
Result<PhpIni> read_php_ini(const Path& file);

}  // namespace gatehouse::config

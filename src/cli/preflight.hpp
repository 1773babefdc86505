// What `check` verifies beyond the file itself, on the running system: that
// each php_cgi is a FastCGI php-cgi, and that with fastcgi.impersonate = 1
// the account PHP runs as can write upload_tmp_dir and session.save_path.
#pragma once

#include <vector>

#include "config/model.hpp"

namespace gatehouse::cli {

struct Preflight {
  std::vector<config::Warning> errors;    // would fail at the first request
  std::vector<config::Warning> warnings;  // the loader's, then the system checks'
};

Preflight preflight(const config::Config& config);

// The first line of `php_cgi -n -v` (at most 2 s, 64 KiB), or why it could not run.
std::string php_version_line(const config::Path& php_cgi, bool& ok);

}  // namespace gatehouse::cli

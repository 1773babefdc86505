// `gatehouse perms export --target windows`: the same hosting set-up and the
// same permission plan as a .cmd script (appcmd + icacls) for IIS 7.5+.
#pragma once

#include <string>

#include "config/model.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

struct WindowsExportOptions {
  std::string windows_root = R"(C:\inetpub\gatehouse)";  // where "/" of the Linux paths lands
  std::string php_dir = R"(C:\PHP)";                     // holds php-cgi.exe
};

// "/srv/shop" -> "C:\inetpub\gatehouse\srv\shop".
std::string windows_path(const Path& path, const std::string& windows_root);

// The whole script, CRLF line ends, `plan` being make_plan(config, ...).
std::string export_windows(const config::Config& config, const Plan& plan, const WindowsExportOptions& options);

}  // namespace gatehouse::perms

// Windows security identifiers for the export: the built-in IIS accounts and
// the virtual account of an application pool ("IIS AppPool\<name>").
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::perms {

inline constexpr std::string_view kIusrSid = "S-1-5-17";
inline constexpr std::string_view kIisIusrsSid = "S-1-5-32-568";
inline constexpr std::string_view kLocalSystemSid = "S-1-5-18";
inline constexpr std::string_view kAdministratorsSid = "S-1-5-32-544";

// S-1-5-82 followed by the five little-endian 32-bit words of SHA-1 over the
// lower-cased pool name in UTF-16LE, as Windows derives it.
std::string app_pool_sid(std::string_view pool_name);

}  // namespace gatehouse::perms

// A readable summary of a loaded configuration, as `gatehouse check` prints it.
#pragma once

#include <string>

#include "config/model.hpp"

namespace gatehouse::config {

// Sites (bindings, applications, virtual directories) then pools (identity,
// php-cgi, php.ini, every effective FastCGI setting, umask, php.ini values).
std::string summary(const Config& config);

// Where a pool's PHP sessions go: "files in /srv/a/sessions", or the Redis
// server, database, key prefix and whether phpredis locks them.
std::string session_destination(const PhpIni& ini);

// The Redis session risks of `config` (phpredis locking off; two pools in one
// database with one key prefix), as warnings on the php.ini: `check` shows
// them and the audit reports them. `key` names the php.ini setting to change.
std::vector<Warning> session_store_risks(const Config& config);

}  // namespace gatehouse::config

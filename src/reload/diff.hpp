// What a reload changes: the configuration in force against the one just
// read. Pure (the php.ini digests are read by the caller), so the decision
// of what restarts and what is kept is tested without a server.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::reload {

// pool name -> a digest of its php.ini file's bytes ("" without a php.ini,
// or when it cannot be read).
using IniDigests = std::map<std::string, std::string>;
IniDigests read_ini_digests(const config::Config& config);

struct Diff {
  // Pools removed, or whose settings or php.ini changed: their worker sets
  // leave and recycle (new requests get workers of the new settings).
  std::vector<std::string> retire_pools;
  // One line per change, for the log and `gatehouse reload`:
  // "pool shop: settings changed: overlapped recycle".
  std::vector<std::string> changes;
  // Settings a running server cannot take (threads, state_dir, log_dir of
  // error.log): they keep their old value until a restart.
  std::vector<std::string> need_restart;
};

Diff diff(const config::Config& old_config, const IniDigests& old_ini, const config::Config& next,
          const IniDigests& next_ini);

// Every setting of a pool that its workers depend on, as one string (not the
// source position): equal strings, same workers.
std::string pool_fingerprint(const config::Pool& pool);

}  // namespace gatehouse::reload

// Files a uid still owns, found before `accounts remove` frees it: a later
// account given the same uid would own them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::cli {

struct Owned {
  std::size_t count = 0;
  std::vector<std::string> examples;  // the first few paths
  std::vector<std::string> searched;  // the folders looked through
  bool truncated = false;             // the entry budget ran out
};

// Looks through the configuration's folders, its state and log folders and
// the usual places of web content and PHP temporary files, without following
// symlinks, visiting at most `budget` entries.
Owned find_owned(const config::Config& config, uid_t uid, std::size_t budget = 200'000);

}  // namespace gatehouse::cli

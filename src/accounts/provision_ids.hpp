// Pinned uids and gids ([[pools]] uid/gid, [accounts] anonymous_uid/gid): so
// every node of a farm creates the same accounts with the same ids, which a
// shared file system's ACLs name. Checks against this machine's databases.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::accounts {

struct PinnedIds {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool any() const { return uid || gid; }
};

// What the configuration pins for the anonymous account or a pool's own account.
PinnedIds pinned_for_anonymous(const config::Config& config);
PinnedIds pinned_for_pool(const config::Pool& pool);
// And for the front's account ([accounts] front_uid/gid; its name is the sandbox's).
PinnedIds pinned_for_front(const config::Config& config);

// The clash, if any, between `account` with `ids` and this machine: the uid or
// gid held by another name, or `account` existing with other ids. An error
// whose message says who holds what and what to do.
Status check_pinned(const std::string& account, const PinnedIds& ids);

// Every pinned account of `config` checked (for `gatehouse check`): one line
// per account, "ok", "not created yet" or the clash; `clashes` counts clashes.
// `front_account`: the front's name, when the configuration pins its ids.
struct PinnedReport {
  std::vector<std::string> lines;
  std::size_t clashes = 0;
};
PinnedReport pinned_report(const config::Config& config, const std::string& front_account = {});

// groupadd --gid when the gid is pinned (the account's own group), so the
// useradd that follows can name it; nothing otherwise.
Status ensure_pinned_group(const std::string& name, const PinnedIds& ids);

}  // namespace gatehouse::accounts

// Pinned account ids: clash checks against the user and group databases, and
// the own group created with its pinned gid; see provision_ids.hpp.
#include "accounts/provision_ids.hpp"

#include <grp.h>
#include <pwd.h>

#include <cerrno>

#include "accounts/command.hpp"
#include "accounts/identity.hpp"
#include "accounts/names.hpp"

namespace gatehouse::accounts {
namespace {

constexpr const char* kGroupadd = "/usr/sbin/groupadd";
constexpr int kGroupaddNameInUse = 9;  // groupadd(8) EXIT VALUES

// The name holding `uid` / `gid`, or empty; lookup failures count as free
// (useradd then reports the real problem).
std::string user_with(uid_t uid) {
  passwd pw{};
  passwd* out = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &out) != 0 || out == nullptr) return {};
  return out->pw_name;
}

std::string group_with(gid_t gid) {
  group gr{};
  group* out = nullptr;
  char buf[16384];
  if (::getgrgid_r(gid, &gr, buf, sizeof buf, &out) != 0 || out == nullptr) return {};
  return out->gr_name;
}

Error clash(const std::string& account, std::string message) {
  return Error::logic("pin account ids", account, std::move(message));
}

}  // namespace

PinnedIds pinned_for_anonymous(const config::Config& config) {
  return {config.accounts.anonymous_uid, config.accounts.anonymous_gid};
}

PinnedIds pinned_for_front(const config::Config& config) {
  return {config.accounts.front_uid, config.accounts.front_gid};
}

PinnedIds pinned_for_pool(const config::Pool& pool) {
  if (!pool.uses_pool_identity()) return {};
  return {pool.uid, pool.gid};
}

Status check_pinned(const std::string& account, const PinnedIds& ids) {
  if (!ids.any()) return {};
  if (ids.uid) {
    const std::string holder = user_with(*ids.uid);
    if (!holder.empty() && holder != account)
      return std::unexpected(clash(account, "uid " + std::to_string(*ids.uid) + " is pinned for " + account +
                                                " but belongs to account " + holder +
                                                " on this machine; free it or pin another uid on every node"));
  }
  if (ids.gid) {
    const std::string holder = group_with(*ids.gid);
    if (!holder.empty() && holder != account)
      return std::unexpected(clash(account, "gid " + std::to_string(*ids.gid) + " is pinned for " + account +
                                                " but belongs to group " + holder +
                                                " on this machine; free it or pin another gid on every node"));
  }
  auto existing = resolve_identity(account);
  if (!existing) {
    if (existing.error().errnum == ENOENT) return {};
    return std::unexpected(existing.error());
  }
  if ((ids.uid && existing->uid != *ids.uid) || (ids.gid && existing->gid != *ids.gid))
    return std::unexpected(
        clash(account, "exists with uid " + std::to_string(existing->uid) + " gid " + std::to_string(existing->gid) +
                           ", but the configuration pins " +
                           (ids.uid ? "uid " + std::to_string(*ids.uid) : std::string{"its uid free"}) +
                           (ids.gid ? " gid " + std::to_string(*ids.gid) : std::string{}) +
                           "; files on a shared file system would name another account on this node (change its ids "
                           "with usermod/groupmod, or delete it and let Gatehouse create it again)"));
  return {};
}

PinnedReport pinned_report(const config::Config& config, const std::string& front_account) {
  PinnedReport report;
  auto one = [&](const std::string& who, const std::string& account, const PinnedIds& ids) {
    if (!ids.any()) return;
    std::string pins = (ids.uid ? "uid " + std::to_string(*ids.uid) : std::string{}) + (ids.uid && ids.gid ? " " : "") +
                       (ids.gid ? "gid " + std::to_string(*ids.gid) : std::string{});
    if (auto ok = check_pinned(account, ids); !ok) {
      ++report.clashes;
      report.lines.push_back(who + " " + account + " (" + pins + "): CLASH: " + ok.error().detail);
      return;
    }
    auto exists = account_exists(account);
    report.lines.push_back(who + " " + account + " (" + pins + "): " +
                           (exists && *exists
                                ? "ok"
                                : (who == "front" ? "not created yet; `gatehouse serve` (as root) uses these ids"
                                                  : "not created yet; `gatehouse accounts create` uses these ids")));
  };
  for (const auto& pool : config.pools) one("pool " + pool.name, pool_account(pool), pinned_for_pool(pool));
  one("anonymous", config.accounts.anonymous, pinned_for_anonymous(config));
  if (!front_account.empty()) one("front", front_account, pinned_for_front(config));
  return report;
}

Status ensure_pinned_group(const std::string& name, const PinnedIds& ids) {
  if (!ids.gid) return {};
  auto group = find_group(name);
  if (!group) return std::unexpected(group.error());
  if (*group) {
    if (**group == *ids.gid) return {};
    return std::unexpected(clash(name, "group " + name + " exists with gid " + std::to_string(**group) +
                                           ", but the configuration pins gid " + std::to_string(*ids.gid)));
  }
  const std::vector<std::string> argv = {kGroupadd, "--system", "--gid", std::to_string(*ids.gid), name};
  auto run = run_command(argv);
  if (!run) return std::unexpected(run.error());
  if (run->exit_code != 0 && run->exit_code != kGroupaddNameInUse) return std::unexpected(command_error(argv, *run));
  return {};
}

}  // namespace gatehouse::accounts

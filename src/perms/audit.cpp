// Audit walks the same roots as apply and, per path, compares the live ACL
// with the target (counting open bits only where some account can reach
// them); then checks the configuration-level risks (shared folders,
// impersonation with a shared anonymous account).
#include "perms/audit.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "accounts/identity.hpp"
#include "accounts/names.hpp"
#include "config/summary.hpp"
#include "perms/access.hpp"
#include "perms/reach.hpp"
#include "perms/report.hpp"
#include "perms/sandbox_spec.hpp"
#include "perms/target.hpp"
#include "perms/walk.hpp"

namespace gatehouse::perms {
namespace {

struct Account {
  std::string name;
  Who who;
};

// Quoted for a shell when it holds anything beyond [A-Za-z0-9_./-].
std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_./-+=:,@%") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Whether group `gid` has a member (supplementary, or by primary group) that
// is neither root nor one of `known`: only then do group bits open anything
// to an account outside the plan.
bool has_other_members(gid_t gid, const std::vector<uid_t>& known) {
  auto outside = [&](uid_t uid) { return uid != 0 && std::find(known.begin(), known.end(), uid) == known.end(); };
  if (auto members = group_members(gid)) {
    for (uid_t uid : *members)
      if (outside(uid)) return true;
    return false;
  }
  return true;  // unknown: assume the worst
}

class Auditor {
 public:
  Auditor(const config::Config& config, const Plan& plan, TargetModel model, std::vector<Account> accounts)
      : config_(config), plan_(plan), model_(std::move(model)), accounts_(std::move(accounts)) {
    for (const auto& site : config.sites) {
      for (const auto& app : site.applications) public_roots_.push_back(app.physical_path.string());
      for (const auto& vdir : site.virtual_directories) public_roots_.push_back(vdir.physical_path.string());
    }
    for (const auto& pool : config.pools) pool_accounts_[accounts::pool_account(pool)] = pool.name;
    for (const auto& a : accounts_) {
      known_uids_.push_back(a.who.uid);
      if (pool_accounts_.contains(a.name)) {
        pool_uids_[a.who.uid] = a.name;
        if (!a.who.groups.empty()) pool_gids_[a.who.groups.front()] = a.name;
      }
    }
    apply_fix_ = "gatehouse perms apply --config " + shell_word(config.source.string());
  }

  Result<AuditReport> run() {
    for (const auto& [root, depth] : model_.roots()) {
      auto done = walk(root, depth, [this](Node& node) { return visit(node); });
      if (!done && done.error().errnum == ENOENT && done.error().target == root.string()) {
        add("missing-folder", Severity::Medium, root.string(), accounts_granted(root),
            "the plan grants access here but it does not exist",
            "mkdir -p " + shell_word(root.string()) + " && " + apply_fix_);
      } else if (!done) {
        return std::unexpected(done.error());
      }
    }
    check_configuration();
    return std::move(report_);
  }

 private:
  void add(std::string rule, Severity severity, std::string path, std::string account, std::string detail,
           std::string fix) {
    report_.findings.push_back(
        Finding{std::move(rule), std::move(path), std::move(account), std::move(detail), std::move(fix), severity});
  }

  std::string accounts_granted(const Path& path) const {
    std::string out;
    for (const auto& g : plan_.grants)
      if (g.path == path && out.find(g.account) == std::string::npos) out += (out.empty() ? "" : ",") + g.account;
    return out;
  }

  bool in_public_root(const std::string& path) const {
    return std::any_of(public_roots_.begin(), public_roots_.end(), [&](auto& r) { return within(path, r); });
  }

  bool is_php(const std::string& path) const {
    for (const auto& site : config_.sites) {
      for (const auto& ext : site.php_extensions) {
        if (path.size() > ext.size() && path.ends_with(ext)) return true;
      }
    }
    return false;
  }

  // Empty when `who` reaches `path` (or when an ancestor cannot be read: then
  // the finding stays a finding), else the folder that stops it.
  std::optional<std::string> unreachable(const Who& who, const std::string& key, const std::string& path) {
    auto blocked = reach_.blocked(who, key, path);
    return blocked ? *blocked : std::nullopt;
  }

  Status visit(Node& node) {
    ++report_.examined;
    auto access = read_access_acl(node.fd.get());
    if (!access) return std::unexpected(access.error());
    std::optional<AclSpec> def;
    const bool is_dir = S_ISDIR(node.st.st_mode);
    if (is_dir) {
      reach_.remember(node.path, node.st, *access);
      auto d = read_default_acl(node.fd.get());
      if (!d) return std::unexpected(d.error());
      def = *d;
    }
    const Target target = model_.target(node.path, node.st, *access, def);
    compare_accounts(node, *access, target);
    if (model_.is_closed(node.path)) {
      check_open_bits(node, *access);
      check_named_entries(node, *access, target);
    }
    if (is_dir && target.manage_default && target.default_acl != def) {
      add("default-acl-differs", Severity::Low, node.path, "", "new files here will not get the planned permissions",
          apply_fix_);
    }
    return {};
  }

  // Group and other bits in an application's tree: a finding when an account
  // outside the plan can reach the path, an info note when no one can.
  void check_open_bits(const Node& node, const AclSpec& access) {
    const unsigned mask = access.mask.value_or(7);
    const unsigned group = access.group_obj & mask;
    if (access.other == 0 && group == 0) return;
    std::string who;
    std::optional<std::string> blocked;
    if (access.other != 0) {
      who = "other";
      blocked = unreachable(outsider(), "other", node.path);
    }
    if ((!who.empty() && blocked) || who.empty()) {
      if (group != 0 && group_open(node.st.st_gid)) {
        auto g = unreachable(outsider_in(node.st.st_gid), "gid " + std::to_string(node.st.st_gid), node.path);
        if (who.empty() || !g) {
          who = "group " + group_name(node.st.st_gid);
          blocked = g;
        }
      }
    }
    const std::string bits = "group::" + rwx_text(access.group_obj) + " other::" + rwx_text(access.other);
    const std::string fix = "chmod g-rwx,o-rwx " + shell_word(node.path) + ", or " + apply_fix_;
    if (who.empty()) {
      add("group-other-open", Severity::Info, node.path, "group " + group_name(node.st.st_gid),
          bits + " opens nothing: no account outside the plan is in its group", fix);
    } else if (blocked) {
      add("group-other-open", Severity::Info, node.path, who,
          bits + " opens nothing: no account outside the plan can reach it, " + *blocked + " stops them", fix);
    } else {
      add("group-other-open", Severity::Low, node.path, who,
          bits + " on an application's tree: accounts outside the plan get in", fix);
      // Reachable write is no hygiene matter: any such account (another
      // pool's included) can plant or change code that this pool then runs.
      const unsigned reaching = who == "other" ? access.other : group;
      if (reaching & 2) {
        add("open-write", Severity::High, node.path, who,
            bits + ": every account " + (who == "other" ? "on the machine" : "in that " + who) +
                " can change what is here, code this pool runs included",
            "chmod g-w,o-w " + shell_word(node.path) + ", or " + apply_fix_);
      }
    }
  }

  // Named entries and owners the plan does not give: another pool's account
  // in this tree is high whatever the configuration says.
  void check_named_entries(const Node& node, const AclSpec& access, const Target& target) {
    const unsigned mask = access.mask.value_or(7);
    for (const auto& [uid, bits] : access.users) {
      if (target.access.users.contains(uid) || (bits & mask) == 0) continue;
      const std::string entry = "user:" + account_name(uid) + ":" + rwx_text(bits);
      if (auto pool = pool_uids_.find(uid); pool != pool_uids_.end()) {
        cross_pool(node.path, pool->second, entry + " is not in the plan");
      } else {
        add("extra-access", Severity::Medium, node.path, account_name(uid), entry + " is not in the plan",
            "setfacl -x u:" + std::to_string(uid) + " " + shell_word(node.path) + ", or " + apply_fix_);
      }
    }
    for (const auto& [gid, bits] : access.groups) {
      auto pool = pool_gids_.find(gid);
      if (pool == pool_gids_.end() || target.access.groups.contains(gid) || (bits & mask) == 0) continue;
      cross_pool(node.path, pool->second, "group:" + pool->second + ":" + rwx_text(bits) + " is not in the plan");
    }
    if (auto owner = pool_uids_.find(node.st.st_uid);
        owner != pool_uids_.end() && !target.access.users.contains(node.st.st_uid)) {
      cross_pool(node.path, owner->second, "owned by " + owner->second + ", which the plan gives nothing here");
    }
  }

  bool group_open(gid_t gid) {
    auto [it, fresh] = group_open_.emplace(gid, false);
    if (fresh) it->second = has_other_members(gid, known_uids_);
    return it->second;
  }

  void cross_pool(const std::string& path, const std::string& account, const std::string& detail) {
    add("cross-pool-access", Severity::High, path, account,
        detail + ": pool " + pool_accounts_.at(account) + " reaches into another pool's tree",
        "setfacl -x u:" + account + " " + shell_word(path) + " (or chown it back), then " + apply_fix_);
  }

  // Per account: what the plan wants against what the kernel would give.
  void compare_accounts(const Node& node, const AclSpec& live, const Target& target) {
    const bool is_dir = S_ISDIR(node.st.st_mode);
    for (const auto& a : accounts_) {
      const unsigned have = decide(a.who, node.st, live).bits;
      const unsigned want = decide(a.who, node.st, target.access).bits;
      if ((want & ~have) != 0) {
        add("missing-grant", Severity::Medium, node.path, a.name,
            "plan gives " + rwx_text(want) + ", the kernel gives " + rwx_text(have), apply_fix_);
      }
      if (!(have & 2) || (want & 2)) continue;
      auto blocked = unreachable(a.who, a.name, node.path);
      if (blocked) {
        add("extra-write", Severity::Info, node.path, a.name,
            "write access the plan does not give, but " + *blocked + " stops " + a.name, apply_fix_);
        continue;
      }
      const bool anonymous = a.name == config_.accounts.anonymous && !pool_accounts_.contains(a.name);
      if (anonymous && in_public_root(node.path)) {
        add("anonymous-can-write", Severity::High, node.path, a.name,
            "the anonymous account can write under a public root: an anonymous upload could run as code",
            "remove its write access: " + apply_fix_);
      } else if (pool_accounts_.contains(a.name) && (is_php(node.path) || is_dir)) {
        add(is_dir ? "pool-can-write-code-folder" : "pool-can-write-code", Severity::High, node.path, a.name,
            "the pool can change the code it runs", "remove its write access: " + apply_fix_);
      } else {
        add("extra-write", Severity::High, node.path, a.name, "write access the plan does not give", apply_fix_);
      }
    }
  }

  // The seed's drawback: an uploaded file keeps upload_tmp_dir's ACL, so
  // whoever may read new files in the target must read new files there too.
  void check_upload_routes() {
    for (const auto& route : plan_.uploads) {
      auto upload = default_of(route.upload_dir);
      auto target = default_of(route.target);
      if (!upload || !target || !*target) continue;  // missing folders are reported by the walk
      for (const auto& [uid, bits] : (*target)->users) {
        const unsigned there = *upload ? ((*upload)->users.contains(uid) ? (*upload)->users.at(uid) : 0) : 0;
        if ((bits & 4) && !(there & 4)) {
          add("move-uploaded-file-acl", Severity::Medium, route.upload_dir.string(), account_name(uid),
              "files moved by move_uploaded_file into " + route.target.string() +
                  " keep this folder's ACL: " + account_name(uid) + " reads new files there but will not read uploads",
              "grant it read on upload_tmp_dir too: " + apply_fix_);
        }
      }
    }
  }

  Result<std::optional<AclSpec>> default_of(const Path& dir) const {
    auto fd = open_nofollow(dir);
    if (!fd) return std::unexpected(fd.error());
    return read_default_acl(fd->get());
  }

  std::string account_name(uid_t uid) const {
    for (const auto& a : accounts_) {
      if (a.who.uid == uid) return a.name;
    }
    if (auto id = accounts::resolve_identity(uid)) return id->name;
    return "uid " + std::to_string(uid);
  }

  void check_configuration() {
    check_upload_routes();
    for (const auto& r : plan_.relocations) {
      const std::string where = r.current ? r.current->string() : "php's default";
      const std::string rule = r.setting == "upload_tmp_dir" ? "shared-upload-dir"
                               : r.setting == "error_log"    ? "shared-error-log"
                                                             : "shared-session-dir";
      const config::Pool* pool = config_.find_pool(r.pool);
      add(rule, Severity::Medium, r.current ? r.current->string() : "", pool ? accounts::pool_account(*pool) : r.pool,
          "pool " + r.pool + ": " + r.setting + " (" + where + ") is shared with other pools or accounts",
          "set " + r.setting + " = " + r.proposed.string() + " in " +
              (pool && !pool->php_ini.empty() ? pool->php_ini.string() : "the pool's php.ini"));
    }
    for (const auto& risk : config::session_store_risks(config_)) {
      const bool locking = risk.key == "redis.session.locking_enabled";
      add(locking ? "redis-session-locking" : "shared-redis-sessions", Severity::Medium, risk.pos.file, "",
          risk.message,
          locking ? "redis.session.locking_enabled = 1 in " + risk.pos.file
                  : "session.save_path = \"tcp://...?prefix=<pool>:\" in " + risk.pos.file);
    }
    std::vector<NoScriptFolder> no_scripts;  // where the server refuses to run scripts
    for (const auto& pool : config_.pools) {
      auto folders = no_script_folders(config_, plan_, pool, "");
      no_scripts.insert(no_scripts.end(), folders.begin(), folders.end());
    }
    for (const auto& g : plan_.grants) {
      if (!g.rights.has(Rights::kModify) || !in_public_root(g.path.string())) continue;
      if (forbidding_folder(no_scripts, g.path) != nullptr) continue;  // enforced: a written script gets 404
      const auto [site, url] = served_at(g.path);
      if (site && !scripts_run(*site, url)) continue;  // handler_policies: scripts = false there
      add("php-in-writable-folder", Severity::High, g.path.string(), g.account,
          "the pool can write in a served folder and scripts there run (writable with execute = true): a written "
          ".php file would run",
          site ? "remove execute = true from the folder in `writable`, or turn scripts off there: "
                 "[[sites.handler_policies]] path = \"" +
                     url + "\" scripts = false (in site " + site->name + "), or move the folder out of the public root"
               : "remove execute = true from the folder in `writable`, or move it out of the public root");
    }
    std::map<std::string, int> anonymous_users;
    for (const auto& site : config_.sites) {
      for (const auto& app : site.applications) {
        if (default_scheme(app) == Scheme::Split) ++anonymous_users[config_.accounts.anonymous];
      }
    }
    for (const auto& pool : config_.pools) {
      if (pool.ini.fastcgi_impersonate && anonymous_users[config_.accounts.anonymous] > 1) {
        add("impersonation-shared-anonymous", Severity::Medium, pool.php_ini.string(), config_.accounts.anonymous,
            "fastcgi.impersonate=1: PHP runs as " + config_.accounts.anonymous +
                " for anonymous requests, an account every site shares, so each site can read the others",
            "set fastcgi.impersonate=0, or give the site the pool identity as anonymous user");
      }
    }
  }

  // The site and URL path at which a folder under a public root is served.
  std::pair<const config::Site*, std::string> served_at(const Path& dir) const {
    for (const auto& site : config_.sites) {
      for (const auto& app : site.applications) {
        if (!is_within(dir, app.physical_path)) continue;
        std::string url = app.path == "/" ? "" : app.path;
        for (const auto& part : dir.lexically_relative(app.physical_path))
          if (part != ".") url += "/" + part.string();
        return {&site, url.empty() ? "/" : url};
      }
    }
    return {nullptr, {}};
  }

  // The handler policy of the longest path containing `url` (IIS compares
  // URLs case-insensitively); scripts run where none says otherwise.
  static bool scripts_run(const config::Site& site, const std::string& url) {
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      return s;
    };
    const std::string u = lower(url);
    const config::HandlerPolicy* best = nullptr;
    for (const auto& policy : site.handler_policies) {
      const std::string p = lower(policy.path);
      if ((p == "/" || u == p || u.starts_with(p + "/")) && (!best || p.size() > best->path.size())) best = &policy;
    }
    return best == nullptr || best->scripts;
  }

  const config::Config& config_;
  const Plan& plan_;
  TargetModel model_;
  std::vector<Account> accounts_;
  std::vector<std::string> public_roots_;
  std::map<std::string, std::string> pool_accounts_;  // account -> pool
  std::map<uid_t, std::string> pool_uids_;            // uid -> pool account
  std::map<gid_t, std::string> pool_gids_;            // primary gid -> pool account
  std::vector<uid_t> known_uids_;                     // every account of the plan
  std::string apply_fix_;
  Reach reach_;
  std::map<gid_t, bool> group_open_;  // group -> has members outside the plan
  AuditReport report_;
};

}  // namespace

Result<AuditReport> audit(const config::Config& config, const Plan& plan) {
  auto ids = resolve_accounts(plan);
  if (!ids) return std::unexpected(ids.error());
  std::vector<Account> accounts;
  for (const auto& [name, uid] : *ids) {
    auto identity = accounts::resolve_identity(name);
    if (!identity) return std::unexpected(identity.error());
    std::vector<gid_t> groups = identity->groups;
    // The primary group first: it names the account's own group.
    std::erase(groups, identity->gid);
    groups.insert(groups.begin(), identity->gid);
    accounts.push_back(Account{name, Who{identity->uid, std::move(groups)}});
  }
  return Auditor(config, plan, TargetModel(plan, std::move(*ids)), std::move(accounts)).run();
}

}  // namespace gatehouse::perms

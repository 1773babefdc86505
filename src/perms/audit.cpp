// Audit walks the same roots as apply and, per path, compares the live ACL
// with the target; then checks the configuration-level risks (shared
// folders, impersonation with a shared anonymous account).
#include "perms/audit.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "accounts/identity.hpp"
#include "accounts/names.hpp"
#include "perms/access.hpp"
#include "perms/report.hpp"
#include "perms/sandbox_spec.hpp"
#include "perms/target.hpp"
#include "perms/walk.hpp"

namespace gatehouse::perms {
namespace {

constexpr const char* kApplyFix = "gatehouse perms apply";

struct Account {
  std::string name;
  Who who;
};

class Auditor {
 public:
  Auditor(const config::Config& config, const Plan& plan, TargetModel model, std::vector<Account> accounts)
      : config_(config), plan_(plan), model_(std::move(model)), accounts_(std::move(accounts)) {
    for (const auto& site : config.sites) {
      for (const auto& app : site.applications) public_roots_.push_back(app.physical_path.string());
      for (const auto& vdir : site.virtual_directories) public_roots_.push_back(vdir.physical_path.string());
    }
    for (const auto& pool : config.pools) pool_accounts_[accounts::pool_account(pool)] = pool.name;
  }

  Result<AuditReport> run() {
    for (const auto& [root, depth] : model_.roots()) {
      auto done = walk(root, depth, [this](Node& node) { return visit(node); });
      if (!done && done.error().errnum == ENOENT && done.error().target == root.string()) {
        add("missing-folder", root.string(), "", "the plan grants access here but it does not exist",
            "create it, then " + std::string(kApplyFix));
      } else if (!done) {
        return std::unexpected(done.error());
      }
    }
    check_configuration();
    return std::move(report_);
  }

 private:
  void add(std::string rule, std::string path, std::string account, std::string detail, std::string fix) {
    report_.findings.push_back(
        Finding{std::move(rule), std::move(path), std::move(account), std::move(detail), std::move(fix)});
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

  Status visit(Node& node) {
    ++report_.examined;
    auto access = read_access_acl(node.fd.get());
    if (!access) return std::unexpected(access.error());
    std::optional<AclSpec> def;
    if (S_ISDIR(node.st.st_mode)) {
      auto d = read_default_acl(node.fd.get());
      if (!d) return std::unexpected(d.error());
      def = *d;
    }
    const Target target = model_.target(node.path, node.st, *access, def);
    compare_accounts(node, *access, target);
    if (model_.is_closed(node.path) && (access->group_obj != 0 || access->other != 0)) {
      add("group-other-open", node.path, "",
          "group::" + rwx_text(access->group_obj) + " other::" + rwx_text(access->other) +
              " on an application's tree: accounts outside the plan get in",
          "chmod g-rwx,o-rwx, or " + std::string(kApplyFix));
    }
    if (model_.is_closed(node.path)) {
      for (const auto& [uid, bits] : access->users) {
        if (!target.access.users.contains(uid) && (bits & access->mask.value_or(7)) != 0) {
          add("extra-access", node.path, "uid " + std::to_string(uid), "user:" + std::to_string(uid) + ":" +
              rwx_text(bits) + " is not in the plan", "setfacl -x u:" + std::to_string(uid) + ", or " + kApplyFix);
        }
      }
    }
    if (S_ISDIR(node.st.st_mode) && target.manage_default && target.default_acl != def) {
      add("default-acl-differs", node.path, "", "new files here will not get the planned permissions",
          kApplyFix);
    }
    return {};
  }

  // Per account: what the plan wants against what the kernel would give.
  void compare_accounts(const Node& node, const AclSpec& live, const Target& target) {
    const bool is_dir = S_ISDIR(node.st.st_mode);
    for (const auto& a : accounts_) {
      const unsigned have = decide(a.who, node.st, live).bits;
      const unsigned want = decide(a.who, node.st, target.access).bits;
      if ((want & ~have) != 0) {
        add("missing-grant", node.path, a.name, "plan gives " + rwx_text(want) + ", the kernel gives " + rwx_text(have),
            kApplyFix);
      }
      if ((have & 2) && !(want & 2)) {
        const bool anonymous = a.name == config_.accounts.anonymous && !pool_accounts_.contains(a.name);
        if (anonymous && in_public_root(node.path)) {
          add("anonymous-can-write", node.path, a.name, "the anonymous account can write under a public root: "
              "an anonymous upload could run as code", "remove its write access; " + std::string(kApplyFix));
        } else if (pool_accounts_.contains(a.name) && (is_php(node.path) || is_dir)) {
          add(is_dir ? "pool-can-write-code-folder" : "pool-can-write-code", node.path, a.name,
              "the pool can change the code it runs", "remove its write access; " + std::string(kApplyFix));
        } else {
          add("extra-write", node.path, a.name, "write access the plan does not give", kApplyFix);
        }
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
          add("move-uploaded-file-acl", route.upload_dir.string(), account_name(uid),
              "files moved by move_uploaded_file into " + route.target.string() + " keep this folder's ACL: " +
                  account_name(uid) + " reads new files there but will not read uploads",
              "grant it read on upload_tmp_dir too: " + std::string(kApplyFix));
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
    return "uid " + std::to_string(uid);
  }

  void check_configuration() {
    check_upload_routes();
    for (const auto& r : plan_.relocations) {
      const std::string where = r.current ? r.current->string() : "php's default";
      add("shared-" + std::string(r.setting == "upload_tmp_dir" ? "upload-dir" : r.setting == "error_log" ? "error-log" : "session-dir"),
          r.current ? r.current->string() : "", accounts::pool_account(*find_pool(r.pool)),
          "pool " + r.pool + ": " + r.setting + " (" + where + ") is shared with other pools or accounts",
          "set " + r.setting + " to " + r.proposed.string() + " in the pool's php.ini");
    }
    std::vector<NoScriptFolder> no_scripts;  // where the server refuses to run scripts
    for (const auto& pool : config_.pools) {
      auto folders = no_script_folders(config_, plan_, pool, "");
      no_scripts.insert(no_scripts.end(), folders.begin(), folders.end());
    }
    for (const auto& g : plan_.grants) {
      if (!g.rights.has(Rights::kModify) || !in_public_root(g.path.string())) continue;
      if (forbidding_folder(no_scripts, g.path) != nullptr) continue;  // enforced: a written script gets 404
      add("php-in-writable-folder", g.path.string(), g.account,
          "the pool can write in a served folder and scripts there run (execute = true): a written .php file would run",
          "remove execute = true from the folder in `writable`, or move the folder out of the public root");
    }
    std::map<std::string, int> anonymous_users;
    for (const auto& site : config_.sites) {
      for (const auto& app : site.applications) {
        if (default_scheme(app) == Scheme::Split) ++anonymous_users[config_.accounts.anonymous];
      }
    }
    for (const auto& pool : config_.pools) {
      if (pool.ini.fastcgi_impersonate && anonymous_users[config_.accounts.anonymous] > 1) {
        add("impersonation-shared-anonymous", pool.php_ini.string(), config_.accounts.anonymous,
            "fastcgi.impersonate=1: PHP runs as " + config_.accounts.anonymous +
                " for anonymous requests, an account every site shares, so each site can read the others",
            "set fastcgi.impersonate=0, or give the site the pool identity as anonymous user");
      }
    }
  }

  const config::Pool* find_pool(const std::string& name) const {
    for (const auto& p : config_.pools) {
      if (p.name == name) return &p;
    }
    return &config_.pools.front();
  }

  const config::Config& config_;
  const Plan& plan_;
  TargetModel model_;
  std::vector<Account> accounts_;
  std::vector<std::string> public_roots_;
  std::map<std::string, std::string> pool_accounts_;  // account -> pool
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
    accounts.push_back(Account{name, Who{identity->uid, identity->groups}});
  }
  return Auditor(config, plan, TargetModel(plan, std::move(*ids)), std::move(accounts)).run();
}

std::string format_findings(const AuditReport& report) {
  std::vector<std::vector<std::string>> rows = {{"RULE", "PATH", "ACCOUNT", "FINDING", "FIX"}};
  for (const auto& f : report.findings) rows.push_back({f.rule, f.path, f.account, f.detail, f.fix});
  std::string out = report.findings.empty() ? std::string() : format_columns(rows) + "\n";
  out += std::to_string(report.examined) + " paths examined, " + std::to_string(report.findings.size()) +
         (report.findings.size() == 1 ? " finding\n" : " findings\n");
  return out;
}

nlohmann::json to_json(const AuditReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings) {
    findings.push_back(
        {{"rule", f.rule}, {"path", f.path}, {"account", f.account}, {"detail", f.detail}, {"fix", f.fix}});
  }
  return {{"examined", report.examined}, {"findings", findings}};
}

}  // namespace gatehouse::perms

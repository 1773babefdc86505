// Explain resolves who acts (from --as, a URL by design.md's identity table,
// or every account of the configuration), then models the kernel's path walk
// and ACL check for each, and asks the kernel itself in a child process.
#include "perms/explain.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "accounts/identity.hpp"
#include "accounts/names.hpp"
#include "perms/access.hpp"
#include "perms/acl.hpp"
#include "perms/report.hpp"
#include "perms/sandbox_spec.hpp"
#include "perms/walk.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::perms {
namespace {

struct Subject {
  std::string account;
  std::string role;
  const config::Pool* worker_pool = nullptr;  // set when the account runs PHP workers of this pool
  std::string worker_identity;                // "" the pool's own identity, else the impersonated account
};

std::uint8_t sandbox_access(Op op) {
  switch (op) {
    case Op::Write:
      return sandbox::Access::kWrite;
    case Op::Execute:
      return sandbox::Access::kExecute;
    default:
      return sandbox::Access::kRead;
  }
}

unsigned wanted_bits(Op op, bool is_dir) {
  switch (op) {
    case Op::Read:
      return is_dir ? 4 | 1 : 4;
    case Op::Write:
      return is_dir ? 2 | 1 : 2;  // making a file in a folder needs w and x
    case Op::List:
      return 4;
    case Op::Execute:
      return 1;
  }
  return 0;
}

int access_mode(Op op, bool is_dir) {
  switch (op) {
    case Op::Read:
      return is_dir ? R_OK | X_OK : R_OK;
    case Op::Write:
      return is_dir ? W_OK | X_OK : W_OK;
    case Op::List:
      return R_OK;
    case Op::Execute:
      return X_OK;
  }
  return F_OK;
}

// The kernel's own answer: a child takes the account's credentials and calls
// access(2) (real ids = effective ids after setuid). Only syscalls after fork.
Result<bool> kernel_check(const accounts::Identity& id, const std::string& path, int mode) {
  const pid_t pid = fork();
  if (pid < 0) return std::unexpected(Error::sys("fork", path));
  if (pid == 0) {
    if (setgroups(id.groups.size(), id.groups.data()) != 0 || setgid(id.gid) != 0 || setuid(id.uid) != 0) _exit(2);
    _exit(access(path.c_str(), mode) == 0 ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(Error::sys("waitpid", path));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    return std::unexpected(Error::logic("check access as " + id.name, path, "could not take the account's identity"));
  }
  return WEXITSTATUS(status) == 0;
}

// Models the kernel's path walk: x on every folder above, then the ACL of the
// path itself. Returns the model's answer and the entry that decided it.
Result<std::pair<bool, std::string>> model_check(const accounts::Identity& id, const Path& path, Op op) {
  if (id.uid == 0) return std::make_pair(true, std::string("root bypasses permission checks"));
  const Who who{id.uid, id.groups};
  Path prefix = "/";
  std::vector<Path> chain = {prefix};
  for (const auto& part : path.relative_path()) chain.push_back(prefix /= part);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    auto fd = open_nofollow(chain[i]);
    if (!fd) return std::unexpected(fd.error());
    struct stat st {};
    if (fstat(fd->get(), &st) != 0) return std::unexpected(Error::sys("stat", chain[i].string()));
    auto acl = read_access_acl(fd->get());
    if (!acl) return std::unexpected(acl.error());
    const bool last = i + 1 == chain.size();
    const unsigned want = last ? wanted_bits(op, S_ISDIR(st.st_mode)) : 1;
    const Decision d = decide(who, st, *acl);
    if ((d.bits & want) != want) {
      return std::make_pair(false, chain[i].string() + ": " + d.entry + (last ? "" : " (no traverse)"));
    }
    if (last) return std::make_pair(true, chain[i].string() + ": " + d.entry);
  }
  return std::make_pair(false, std::string("empty path"));
}

class Explainer {
 public:
  Explainer(const config::Config& config, const ExplainRequest& request) : config_(config), request_(request) {}

  Result<Explanation> run() {
    out_.path = request_.path.string();
    std::vector<Subject> subjects;
    if (request_.url) {
      auto routed = route(*request_.url);
      if (!routed) return std::unexpected(routed.error());
      subjects = std::move(*routed);
    } else if (request_.as) {
      subjects.push_back({*request_.as, "--as"});
    } else {
      subjects = everyone();
    }
    if (out_.path.empty()) return std::unexpected(Error::logic("explain", "", "no path (give PATH or --url)"));
    struct stat st {};
    auto fd = open_nofollow(out_.path);
    if (!fd) return std::unexpected(fd.error());
    fstat(fd->get(), &st);
    std::vector<Op> ops = request_.ops;
    if (ops.empty())
      ops = S_ISDIR(st.st_mode) ? std::vector{Op::Read, Op::List, Op::Write} : std::vector{Op::Read, Op::Write};
    for (const auto& s : subjects) {
      auto id = accounts::resolve_identity(s.account);
      if (!id) return std::unexpected(id.error());
      for (Op op : ops) {
        auto model = model_check(*id, out_.path, op);
        if (!model) return std::unexpected(model.error());
        auto kernel = kernel_check(*id, out_.path, access_mode(op, S_ISDIR(st.st_mode)));
        if (!kernel) return std::unexpected(kernel.error());
        Answer answer{s.account, s.role, op, model->first, model->second, *kernel};
        add_sandbox(answer, s, op);
        out_.answers.push_back(std::move(answer));
      }
    }
    return std::move(out_);
  }

 private:
  // The worker's Landlock ruleset is checked apart from the ACL (the kernel
  // cross-check runs without it): when it refuses, it is what decides for PHP.
  void add_sandbox(Answer& a, const Subject& s, Op op) {
    if (!s.worker_pool) return;
    if (!plan_) plan_ = make_plan(config_);
    const sandbox::Spec spec = sandbox_spec(config_, *plan_, *s.worker_pool, s.worker_identity);
    if (!spec.enabled) {
      a.sandbox = "off (sandbox.enabled = false)";
      return;
    }
    a.sandbox_refuses = !sandbox_allows(spec, out_.path, sandbox_access(op));
    a.sandbox =
        a.sandbox_refuses ? "Landlock REFUSES (outside the worker set's sandbox): it decides" : "Landlock allows";
  }

  const config::Pool* pool_of(std::string_view name) const {
    for (const auto& p : config_.pools) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

  std::vector<Subject> everyone() const {
    std::vector<Subject> subjects = {{config_.accounts.anonymous, "anonymous account"}};
    for (const auto& pool : config_.pools)
      subjects.push_back({accounts::pool_account(pool), "pool " + pool.name, &pool, ""});
    return subjects;
  }

  // design.md's table: who reads static files and who performs PHP's file
  // operations, for an anonymous request to `url`.
  Result<std::vector<Subject>> route(const std::string& url) {
    const auto scheme_end = url.find("://");
    std::string rest = scheme_end == std::string::npos ? url : url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::uint16_t port = url.starts_with("https") ? 443 : 80;
    if (auto colon = authority.rfind(':'); colon != std::string::npos) {
      port = static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1)));
      authority.resize(colon);
    }
    for (const auto& site : config_.sites) {
      for (const auto& b : site.bindings) {
        if (b.port == port && (b.host == "*" || b.host == authority)) return route_in(site, path);
      }
    }
    return std::unexpected(Error::logic("route", url, "no site has a binding for it"));
  }

  std::vector<Subject> route_in(const config::Site& site, const std::string& url_path) {
    auto under = [&](const std::string& prefix) {
      return prefix == "/" || url_path == prefix || url_path.starts_with(prefix + "/");
    };
    const config::Application* app = &site.root();
    for (const auto& a : site.applications) {
      if (under(a.path) && a.path.size() >= app->path.size()) app = &a;
    }
    // The part of the URL path below a prefix ("/blog" + "/a/b.php" -> "a/b.php").
    auto below = [&](const std::string& prefix) {
      const std::size_t skip = prefix == "/" ? 1 : prefix.size() + 1;
      return skip >= url_path.size() ? std::string() : url_path.substr(skip);
    };
    Path physical = app->physical_path / below(app->path);
    std::size_t longest = app->path.size();
    for (const auto& v : site.virtual_directories) {
      if (under(v.path) && v.path.size() > longest) {
        physical = v.physical_path / below(v.path);
        longest = v.path.size();
      }
    }
    if (out_.path.empty()) out_.path = physical.lexically_normal().string();
    const config::Pool* pool = pool_of(app->pool);
    const std::string pool_account = pool ? accounts::pool_account(*pool) : app->pool;
    const bool anon_is_pool = app->authentication.anonymous_user == config::AnonymousUser::Pool;
    const std::string anonymous = anon_is_pool ? pool_account : config_.accounts.anonymous;
    const bool impersonate = pool && pool->ini.fastcgi_impersonate;
    out_.route = {"site " + site.name, "application " + app->path, "pool " + app->pool + " (" + pool_account + ")",
                  "anonymous user " + anonymous, std::string("fastcgi.impersonate=") + (impersonate ? "1" : "0")};
    const bool php = std::any_of(site.php_extensions.begin(), site.php_extensions.end(),
                                 [&](const std::string& ext) { return url_path.ends_with(ext); });
    if (!php) return {{anonymous, "static file handler (anonymous request)"}};
    return {{pool_account, "php-cgi worker (pool identity) opens the script", pool, ""},
            {impersonate ? anonymous : pool_account, "PHP file operations", pool, impersonate ? anonymous : ""}};
  }

  const config::Config& config_;
  const ExplainRequest& request_;
  Explanation out_;
  std::optional<Plan> plan_;  // made once, for the workers' sandboxes
};

}  // namespace

std::optional<Op> parse_op(std::string_view text) {
  if (text == "read") return Op::Read;
  if (text == "write") return Op::Write;
  if (text == "list") return Op::List;
  if (text == "execute") return Op::Execute;
  return std::nullopt;
}

std::string_view to_string(Op op) {
  switch (op) {
    case Op::Read:
      return "read";
    case Op::Write:
      return "write";
    case Op::List:
      return "list";
    case Op::Execute:
      return "execute";
  }
  return "?";
}

bool Explanation::disagreement() const {
  return std::any_of(answers.begin(), answers.end(), [](const Answer& a) { return !a.agrees(); });
}

Result<Explanation> explain(const config::Config& config, const ExplainRequest& request) {
  return Explainer(config, request).run();
}

std::string format_explanation(const Explanation& e) {
  std::string out = e.path + "\n";
  for (const auto& r : e.route) out += "  " + r + "\n";
  std::vector<std::vector<std::string>> rows = {
      {"ACCOUNT", "ROLE", "OP", "ALLOWED", "DECIDED BY", "KERNEL", "PHP WORKER SANDBOX"}};
  for (const auto& a : e.answers) {
    rows.push_back({a.account, a.role, std::string(to_string(a.op)), a.allowed && !a.sandbox_refuses ? "yes" : "no",
                    !a.sandbox_refuses ? a.decided_by
                    : a.allowed        ? "Landlock (the ACL alone would allow: " + a.decided_by + ")"
                                       : a.decided_by + "; Landlock refuses too",
                    a.agrees() ? "agrees" : std::string("DISAGREES: kernel says ") + (a.kernel_allowed ? "yes" : "no"),
                    a.sandbox.empty() ? "-" : a.sandbox});
  }
  out += format_columns(rows);
  if (e.disagreement()) out += "\nBUG: the model and the kernel disagree; please report this with the output above\n";
  return out;
}

nlohmann::json to_json(const Explanation& e) {
  nlohmann::json answers = nlohmann::json::array();
  for (const auto& a : e.answers) {
    answers.push_back({{"account", a.account},
                       {"role", a.role},
                       {"op", to_string(a.op)},
                       {"allowed", a.allowed},
                       {"decided_by", a.decided_by},
                       {"kernel_allowed", a.kernel_allowed},
                       {"sandbox", a.sandbox},
                       {"sandbox_refuses", a.sandbox_refuses},
                       {"agrees", a.agrees()}});
  }
  return {{"path", e.path}, {"route", e.route}, {"answers", answers}, {"disagreement", e.disagreement()}};
}

}  // namespace gatehouse::perms

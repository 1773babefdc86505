// System checks of a loaded configuration for `check`.
#include "cli/preflight.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "accounts/identity.hpp"
#include "accounts/names.hpp"
#include "config/values.hpp"
#include "perms/explain.hpp"

extern char** environ;

namespace gatehouse::cli {
namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(2);
constexpr std::size_t kProbeOutput = 64 * 1024;

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return text.substr(0, end == std::string::npos ? text.size() : end);
}

std::string pool_key(std::size_t p) { return "pools[" + std::to_string(p) + "]"; }

void check_php_cgi(const config::Config& config, Preflight& out) {
  for (std::size_t p = 0; p < config.pools.size(); ++p) {
    const config::Pool& pool = config.pools[p];
    bool ran = false;
    const std::string line = php_version_line(pool.php_cgi, ran);
    if (ran && line.find("(cgi-fcgi)") != std::string::npos) continue;
    const std::string key = pool_key(p) + ".php_cgi";
    out.errors.push_back(config::Warning{
        config.pos_of(key, pool.pos), key,
        "expected a FastCGI php-cgi (its -v names \"cgi-fcgi\"), got " + config::in_quotes(pool.php_cgi.string()) +
            (ran ? ", whose -v says " + config::in_quotes(line) : " (" + line + ")") +
            ": every PHP request would fail with 502; install php-cgi and set php_cgi = "
            "\"/usr/bin/php-cgi\""});
  }
}

// fastcgi.impersonate = 1: PHP's file operations for anonymous requests run
// as the anonymous account, which must then write where PHP writes.
void check_impersonation(const config::Config& config, Preflight& out) {
  for (std::size_t p = 0; p < config.pools.size(); ++p) {
    const config::Pool& pool = config.pools[p];
    if (!pool.ini.fastcgi_impersonate) continue;
    std::vector<std::string> php_accounts;
    for (const auto& site : config.sites)
      for (const auto& app : site.applications)
        if (app.pool == pool.name && app.authentication.anonymous_enabled) {
          const std::string who = app.authentication.anonymous_user == config::AnonymousUser::Pool
                                      ? accounts::pool_account(pool)
                                      : config.accounts.anonymous;
          if (std::find(php_accounts.begin(), php_accounts.end(), who) == php_accounts.end())
            php_accounts.push_back(who);
        }
    const std::pair<const char*, const std::optional<config::Path>*> folders[] = {
        {"upload_tmp_dir", &pool.ini.upload_tmp_dir}, {"session.save_path", &pool.ini.session_save_path}};
    for (const auto& [setting, folder] : folders) {
      if (!*folder) continue;
      for (const auto& account : php_accounts) {
        if (!accounts::resolve_identity(account)) continue;  // not created yet: perms apply will grant it
        auto e = perms::explain(config, perms::ExplainRequest{**folder, account, {}, {perms::Op::Write}});
        if (!e || e->answers.empty() || e->answers.front().kernel_allowed) continue;
        out.errors.push_back(
            config::Warning{config::SourcePos{pool.php_ini.string(), 0, 0}, "",
                            "[pool " + pool.name + "] fastcgi.impersonate = 1: PHP runs as " + account +
                                " for anonymous requests, and " + account + " cannot write " + setting + " " +
                                (*folder)->string() + " (" + e->answers.front().decided_by +
                                "): uploads or sessions would fail with \"Permission "
                                "denied\"; set fastcgi.impersonate = 0, or give the site the pool identity "
                                "as anonymous user"});
      }
    }
  }
}

}  // namespace

std::string php_version_line(const config::Path& php_cgi, bool& ok) {
  ok = false;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  const std::string path = php_cgi.string();
  char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("-n"), const_cast<char*>("-v"), nullptr};
  char* env[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return std::string("cannot run it: ") + std::strerror(rc);
  }
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + kProbeTimeout;
  bool timed_out = false;
  while (output.size() < kProbeOutput) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
      timed_out = true;
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out || output.size() >= kProbeOutput) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return "-v did not answer within 2 s";
  ok = true;
  return first_line(output);
}

Preflight preflight(const config::Config& config) {
  Preflight out;
  out.warnings = config.warnings;
  check_php_cgi(config, out);
  if (::geteuid() == 0) check_impersonation(config, out);  // the kernel check takes the account's identity
  return out;
}

}  // namespace gatehouse::cli

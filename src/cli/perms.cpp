// `gatehouse perms plan | apply | restore | audit | export`: the permission
// tool. Exit codes: 0 done, 1 error; audit: 0 clean, 1 findings, 2 error;
// explain: 3 when its model and the kernel disagree (a bug to report).
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/apply_output.hpp"
#include "cli/commands.hpp"
#include "cli/plan_accounts.hpp"
#include "config/load.hpp"
#include "perms/apply.hpp"
#include "perms/audit.hpp"
#include "perms/explain.hpp"
#include "perms/export_windows.hpp"
#include "perms/plan.hpp"
#include "perms/report.hpp"

namespace gatehouse::cli {
namespace {

struct PermsOptions {
  std::string config_file;
  bool json = false;
  std::string scheme;  // empty: each site's setting
  bool dry_run = false;
  std::string backup_id;
  std::string target = "windows";
  std::string output;
  perms::WindowsExportOptions windows;
  std::string path;
  std::string as;
  std::string url;
  std::vector<std::string> ops;
  bool verbose = false;
};

[[noreturn]] void fail(const std::string& message, int code = 1) {
  std::cerr << "perms: " << message << "\n";
  throw CLI::RuntimeError(code);
}

config::Config load_config(const std::string& file, int error_code) {
  try {
    config::Config config = config::load_file(file);
    for (const auto& w : config.warnings) std::cerr << "warning: " << w.str() << "\n";
    return config;
  } catch (const config::ConfigError& e) {
    for (const auto& problem : e.problems()) std::cerr << problem.str() << "\n";
    throw CLI::RuntimeError(error_code);
  }
}

perms::Plan plan_of(const config::Config& config, const PermsOptions& o) {
  perms::PlanOptions options;
  if (!o.scheme.empty()) options.scheme = perms::parse_scheme(o.scheme);
  return perms::make_plan(config, options);
}

void run_plan(const PermsOptions& o) {
  const auto config = load_config(o.config_file, 1);
  const auto plan = plan_of(config, o);
  const auto accounts = account_states(config, 1);
  if (o.json) {
    nlohmann::json out = perms::to_json(plan);
    out["accounts"] = nlohmann::json::array();
    for (const auto& a : accounts)
      out["accounts"].push_back({{"name", a.name}, {"role", a.role}, {"exists", a.exists}, {"managed", a.managed}});
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << format_account_states(accounts) << "\n" << perms::format_table(plan);
  }
}

// apply batches thousands of open descriptors between journal fsyncs; the
// usual soft limit of 1024 would shrink its batches for nothing.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 65536);
  setrlimit(RLIMIT_NOFILE, &limit);
}

void run_apply(const PermsOptions& o) {
  raise_fd_limit();
  const auto config = load_config(o.config_file, 1);
  const auto plan = plan_of(config, o);
  // Set-up in one command: the accounts first (a dry run only shows them).
  if (!o.dry_run) create_plan_accounts(config, o.json ? std::cerr : std::cout, 1);
  perms::ApplyOptions options{config.server.state_dir, o.dry_run, {}};
  auto report = perms::apply(plan, options);
  if (!report) fail(report.error().message());
  print_apply(plan, *report, ApplyOutput{o.dry_run, o.json, o.verbose, o.config_file});
}

void run_restore(const PermsOptions& o) {
  const auto config = load_config(o.config_file, 1);
  std::optional<std::string> id;
  if (!o.backup_id.empty()) id = o.backup_id;
  auto report = perms::restore(config.server.state_dir, id);
  if (!report) fail(report.error().message());
  if (o.json) {
    std::cout << nlohmann::json{{"backup", report->backup_id},
                                {"restored", report->restored},
                                {"missing", report->missing}}
                     .dump(2)
              << "\n";
    return;
  }
  for (const auto& p : report->missing) std::cout << "gone since the backup: " << p << "\n";
  std::cout << "restored " << report->restored << " paths from backup " << report->backup_id << "\n";
}

// Columns of the terminal on stdout, 0 when it is not one (then the default).
std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) return std::strtoul(columns, nullptr, 10);
  return 0;
}

void run_audit(const PermsOptions& o) {
  const auto config = load_config(o.config_file, 2);
  auto report = perms::audit(config, plan_of(config, o));
  if (!report) fail(report.error().message(), 2);
  if (o.json) {
    std::cout << perms::to_json(*report).dump(2) << "\n";
  } else {
    std::cout << perms::format_findings(*report, {o.verbose, terminal_width()});
  }
  if (report->failing() != 0) throw CLI::RuntimeError(1);
}

void run_explain(const PermsOptions& o) {
  const auto config = load_config(o.config_file, 1);
  perms::ExplainRequest request{o.path, {}, {}, {}};
  if (!o.as.empty()) request.as = o.as;
  if (!o.url.empty()) request.url = o.url;
  for (const auto& op : o.ops) request.ops.push_back(*perms::parse_op(op));
  auto e = perms::explain(config, request);
  if (!e) fail(e.error().message());
  if (o.json) {
    std::cout << perms::to_json(*e).dump(2) << "\n";
  } else {
    std::cout << perms::format_explanation(*e);
  }
  if (e->disagreement()) {
    std::cerr << "perms: BUG: explain's model and the kernel disagree\n";
    throw CLI::RuntimeError(3);
  }
}

void run_export(const PermsOptions& o) {
  if (o.target != "windows") fail("unknown export target " + o.target + " (known: windows)");
  const auto config = load_config(o.config_file, 1);
  const std::string script = perms::export_windows(config, plan_of(config, o), o.windows);
  for (const auto& pool : config.pools)
    if (!pool.php_ini.empty())
      std::cerr << "warning: pool " << pool.name << ": " << pool.php_ini.string()
                << " is referenced, not translated: copy it to the Windows server and translate its Linux paths "
                   "(upload_tmp_dir, session.save_path, error_log, include_path, open_basedir; the script lists "
                   "them)\n";
  if (o.output.empty()) {
    std::cout << script;
    return;
  }
  std::ofstream out(o.output, std::ios::binary);
  out << script;
  if (!out.flush()) fail("cannot write " + o.output);
}

CLI::App* command(CLI::App* perms, const char* name, const char* help, std::shared_ptr<PermsOptions> o) {
  CLI::App* sub = perms->add_subcommand(name, help);
  sub->add_option("--config", o->config_file, "the configuration file (TOML)")->required();
  sub->add_flag("--json", o->json, "print JSON instead of a table");
  sub->add_option("--scheme", o->scheme, "split or pool-only (default: each site's anonymous user setting)")
      ->check(CLI::IsMember({"split", "pool-only"}));
  return sub;
}

}  // namespace

void add_perms(CLI::App& app) {
  auto o = std::make_shared<PermsOptions>();
  CLI::App* perms = app.add_subcommand("perms", "plan, apply, audit, restore and export file permissions");
  perms->require_subcommand(1);

  command(perms, "plan", "show who gets which rights where, and why", o)->callback([o] { run_plan(*o); });

  CLI::App* apply =
      command(perms, "apply", "create the accounts the plan needs, then set its POSIX ACLs (backed up first)", o);
  apply->add_flag("--dry-run", o->dry_run,
                  "print a summary of the changes per folder and touch nothing (accounts need not exist yet)");
  apply->add_flag("-v,--verbose", o->verbose, "list every changed path with its ACL before and after");
  apply->callback([o] { run_apply(*o); });

  CLI::App* restore = command(perms, "restore", "put back the permissions saved by an apply", o);
  restore->add_option("id", o->backup_id, "the backup id (default: the latest)");
  restore->callback([o] { run_restore(*o); });

  CLI::App* audit = command(perms, "audit", "compare the file system with the plan and check the risk rules", o);
  audit->add_flag("-v,--verbose", o->verbose, "also the info notes, and every line of each group");
  audit->callback([o] { run_audit(*o); });

  CLI::App* explain = command(perms, "explain", "who performs an operation on a path, and whether it is allowed", o);
  explain->add_option("path", o->path, "the file or folder (optional with --url)");
  auto* as = explain->add_option("--as", o->as, "the account to ask about (default: every configured account)");
  explain->add_option("--url", o->url, "a request URL: site, application, pool and identities by its route")
      ->excludes(as);
  explain->add_option("--op", o->ops, "read, write, list or execute (repeatable; default read, write, list)")
      ->check(CLI::IsMember({"read", "write", "list", "execute"}));
  explain->callback([o] { run_explain(*o); });

  CLI::App* exp = command(perms, "export", "write the same set-up for another server", o);
  exp->add_option("--target", o->target, "windows: an appcmd + icacls .cmd script for IIS 7.5+")->required();
  exp->add_option("-o,--output", o->output, "write to this file instead of stdout");
  exp->add_option("--windows-root", o->windows.windows_root, "where Linux's / lands (default C:\\inetpub\\gatehouse)");
  exp->add_option("--php-dir", o->windows.php_dir, "the folder of php-cgi.exe (default C:\\PHP)");
  exp->callback([o] { run_export(*o); });
}

}  // namespace gatehouse::cli

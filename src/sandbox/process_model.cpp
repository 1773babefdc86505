// The process model table and the front's sandbox spec, from the configuration.
#include "sandbox/process_model.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gatehouse::sandbox {
namespace {

std::vector<Path> served_roots(const config::Config& config) {
  std::vector<Path> out;
  auto add = [&](const Path& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& site : config.sites) {
    for (const auto& app : site.applications) add(app.physical_path);
    for (const auto& vd : site.virtual_directories) add(vd.physical_path);
  }
  return out;
}

std::string pool_accounts(const config::Config& config) {
  std::string out;
  for (const auto& pool : config.pools) {
    if (!out.empty()) out += ", ";
    out += pool.name + ": " + (pool.uses_pool_identity() ? "its own account" : pool.identity);
    if (pool.ini.fastcgi_impersonate) out += " (or the request identity: fastcgi.impersonate)";
  }
  return out.empty() ? "(no pool)" : out;
}

}  // namespace

FrontSandboxSpec front_sandbox_spec(const config::Config& config, uid_t uid, gid_t gid) {
  FrontSandboxSpec spec;
  spec.uid = uid;
  spec.gid = gid;
  spec.read = served_roots(config);
  spec.write = {config.server.log_dir, config.server.state_dir / "sockets", config.server.state_dir / "bodies"};
  return spec;
}

std::string process_model_table(const config::Config& config) {
  const auto front = front_sandbox_spec(config, 1, 1);
  std::string roots;
  for (const auto& p : front.read) roots += (roots.empty() ? "" : ", ") + p.string();
  std::string writes;
  for (const auto& p : front.write) writes += (writes.empty() ? "" : ", ") + p.string();
  const auto row = [](std::string_view process, std::string_view state, std::string_view account, std::string_view caps,
                      std::string_view reaches) {
    return fmt::format("  {:<10} {}\n    account:      {}\n    capabilities: {}\n    reaches:      {}\n", process,
                       state, account, caps, reaches);
  };
  std::string out =
      "process model (issue 9): `gatehouse serve` as root runs supervisor and front apart (`--one-process`:\n"
      "one root process does both; --single-user: one process as its user):\n";
  out += row("supervisor", "[gatehouse serve, as root]", "root", "all",
             "the configuration, accounts, binding the listening sockets, spawning and killing php-cgi, "
             "reopening logs; never reads a byte from the network; obeys the front only through a "
             "validated socketpair protocol");
  out += row("front", "[exec'd by the supervisor; sandbox::confine_front before any thread]",
             std::string(kFrontAccount) + " (NoNewPrivs 1, Seccomp 2)",
             "CAP_SETUID, CAP_SETGID only (per-thread fsuid for static files); securebits NOROOT and "
             "NO_SETUID_FIXUP locked; set*id to 0 refused by seccomp",
             "listening sockets received from the supervisor; read: " + (roots.empty() ? "(none)" : roots) +
                 "; write: " + writes +
                 "; the php-cgi connections the supervisor hands it; asks the supervisor for workers (SPAWN, KILL), "
                 "password checks (AUTH) and account ids (RESOLVE); no exec, no fork, no "
                 "ptrace, no outbound TCP");
  out += row("worker", "[in place]", pool_accounts(config), "none (dropped before exec, NoNewPrivs)",
             "its pool's Landlock ruleset (listed under \"confinement\") and cgroup; its private socket");
  return out;
}

}  // namespace gatehouse::sandbox

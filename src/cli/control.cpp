// `gatehouse status [--json]`, `gatehouse recycle POOL`, `gatehouse reload`,
// `gatehouse stop`, `gatehouse reopen-logs`, `gatehouse drain`: clients of the running server's control socket.
// Exit codes: 0 done, 1 the server refused or failed, 3 no server is running.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "cli/commands.hpp"
#include "cli/config_source.hpp"
#include "cli/embedded.hpp"
#include "config/load.hpp"
#include "control/client.hpp"
#include "control/socket.hpp"

namespace gatehouse::cli {
namespace {

constexpr int kNotRunning = 3;
constexpr const char* kPackagedConfig = "/etc/gatehouse/gatehouse.toml";

struct ControlOptions {
  std::string config_file;
  bool json = false;
  std::string pool;
};

// Without --config: the packaged configuration when it exists, else the demo
// (what `gatehouse serve` without --config runs).
std::string config_to_use(const ControlOptions& options) {
  if (!options.config_file.empty()) return options.config_file;
  std::error_code ec;
  return std::filesystem::exists(kPackagedConfig, ec) ? kPackagedConfig : "";
}

std::string describe(const std::string& file) { return file.empty() ? "the embedded demo" : file; }

// `reload` of a file that no longer loads still reaches the server, which
// logs and answers every problem: the state folder is then read from the
// text (`state_dir = "..."`), as the server read it when the file was valid.
config::Path state_dir_of(const std::string& file, bool lenient) {
  if (!lenient) return load_config(file).server.state_dir;
  try {
    return config::load_file(file).server.state_dir;
  } catch (const config::ConfigError&) {
    std::ifstream in(file);
    static const std::regex kLine(R"re(^\s*state_dir\s*=\s*"([^"]+)"\s*(#.*)?$)re");
    std::smatch m;
    for (std::string text; std::getline(in, text);)
      if (std::regex_match(text, m, kLine)) return config::Path(m[1].str());
    return load_config(file).server.state_dir;  // prints the problems and exits 1
  }
}

// Sends `line`; prints the failure and returns the exit code, or nullopt and the reply.
std::expected<nlohmann::json, int> ask(const ControlOptions& options, const std::string& line,
                                       config::Path* state_dir = nullptr, int timeout_seconds = 10) {
  const std::string file = config_to_use(options);
  // The demo's state folder without loading the demo, which would write its content there.
  const config::Path dir = file.empty() ? default_state_dir() : state_dir_of(file, line == "reload");
  if (state_dir) *state_dir = dir;
  auto reply = control::request(dir, line, timeout_seconds);
  if (!reply) {
    if (reply.error().kind == control::ClientFailure::NotRunning) {
      std::cerr << "no gatehouse is running for " << describe(file) << ": start it with gatehouse serve"
                << (file.empty() ? "" : " --config " + file) << "\n";
      return std::unexpected(kNotRunning);
    }
    std::cerr << "gatehouse: control socket: " << reply.error().message << "\n";
    return std::unexpected(1);
  }
  if (!reply->value("ok", false)) {
    for (const auto& e : reply->value("errors", nlohmann::json::array())) std::cerr << e.get<std::string>() << "\n";
    std::cerr << "gatehouse: " << reply->value("error", std::string("the server refused")) << "\n";
    return std::unexpected(1);
  }
  return *reply;
}

std::string age(long long s) {
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

void print_status(const nlohmann::json& reply) {
  std::cout << fmt::format("gatehouse pid {}, up {}\n", reply.value("pid", 0), age(reply.value("uptime_seconds", 0LL)));
  for (const auto& pool : reply["pools"]) {
    const auto& sets = pool["worker_sets"];
    std::cout << fmt::format("pool {}{}\n", pool["name"].get<std::string>(),
                             sets.empty() ? ": no worker started yet" : "");
    for (const auto& s : sets) {
      std::cout << fmt::format(
          "  as {}: queue {}, busy {}, idle {}, starting {}, retiring {}, requests {}, "
          "recycles {}, failures {}{}\n",
          s["account"].get<std::string>(), s["queue"].get<long>(), s["busy"].get<long>(), s["idle"].get<long>(),
          s["starting"].get<long>(), s["retiring"].get<long>(), s["requests"].get<long>(), s["recycles"].get<long>(),
          s["failures"].get<long>(), s["offline"].get<bool>() ? ", OFFLINE (rapid-fail protection)" : "");
      if (s["instances"].empty()) continue;
      std::cout << fmt::format("    {:>8}  {:<9} {:>8} {:>7} {:>10}\n", "pid", "state", "requests", "age", "rss");
      for (const auto& i : s["instances"]) {
        auto rss = i["rss_kib"].is_null() ? std::string("-") : fmt::format("{} KiB", i["rss_kib"].get<long>());
        std::cout << fmt::format("    {:>8}  {:<9} {:>8} {:>7} {:>10}\n", i["pid"].get<long>(),
                                 i["state"].get<std::string>(), i["requests"].get<long>(),
                                 age(i["age_seconds"].get<long long>()), rss);
      }
    }
  }
  for (const auto& site : reply.value("sites", nlohmann::json::array()))
    std::cout << fmt::format("site {}: {} requests (2xx {}, 3xx {}, 4xx {}, 5xx {})\n", site["name"].get<std::string>(),
                             site["requests"].get<long>(), site["2xx"].get<long>(), site["3xx"].get<long>(),
                             site["4xx"].get<long>(), site["5xx"].get<long>());
}

int status(const ControlOptions& options) {
  auto reply = ask(options, "status");
  if (!reply) return reply.error();
  if (options.json)
    std::cout << reply->dump(2) << "\n";
  else
    print_status(*reply);
  return 0;
}

// Returns once the server has removed its socket (it does so last, after the
// pools are stopped), so `gatehouse stop && gatehouse serve` is safe.
int stop(const ControlOptions& options) {
  config::Path state_dir;
  auto reply = ask(options, "stop", &state_dir);
  if (!reply) return reply.error();
  const auto path = control::socket_path(state_dir);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  struct stat st {};
  while (::lstat(path.c_str(), &st) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "gatehouse stop: the server is still stopping after 2 minutes\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cout << "stopped\n";
  return 0;
}

struct DrainCli {
  double quiet = 5;
  double deadline = 60;
  bool stop = false;
  bool cancel = false;
};

std::string seconds(long long ms) { return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000); }

void print_drained(const nlohmann::json& p) {
  const auto seen = p.value("seen", 0ULL);
  const auto in_flight = p.value("in_flight", 0ULL);
  const auto took = seconds(p.value("elapsed_ms", 0LL));
  if (seen == 0)
    std::cout << fmt::format("drained in {}: no request arrived while draining\n", took);
  else
    std::cout << fmt::format(
        "drained in {}: {} request{} arrived while draining, the last one {} before the drain ended\n", took, seen,
        seen == 1 ? "" : "s", seconds(p.value("quiet_for_ms", 0LL)));
  if (p.value("deadline_passed", false))
    std::cerr << fmt::format(
        "warning: the deadline ({}) passed while requests still arrived: does the balancer check GET /ready?\n",
        seconds(p.value("deadline_ms", 0LL)));
  if (in_flight == 0)
    std::cout << "no request in flight: this node can stop without failing a request\n";
  else
    std::cerr << fmt::format("warning: {} request{} still in flight after the grace period (shutdown_timeout)\n",
                             in_flight, in_flight == 1 ? "" : "s");
}

// Readiness is seen through the admin listener only: without one, no balancer notices the drain.
void warn_without_readiness(const std::string& file) {
  if (file.empty()) return;
  try {
    if (config::load_file(file).server.admin.listen.empty())
      std::cerr << "warning: " << file
                << " has no [server.admin] listen: no balancer can see GET /ready, so only the wait for quiet "
                   "happens\n";
  } catch (const config::ConfigError&) {
    // ask() reports an unreadable file
  }
}

// Begins the drain, then asks where it is until it is done (the server keeps
// the state, so a second `gatehouse drain` follows the same drain).
int drain(const ControlOptions& options, const DrainCli& d) {
  if (d.cancel) {
    auto reply = ask(options, "drain cancel");
    if (!reply) return reply.error();
    std::cout << "drain cancelled: GET /ready answers 200 again (if every pool is online)\n";
    return 0;
  }
  warn_without_readiness(config_to_use(options));
  const auto quiet_ms = std::llround(d.quiet * 1000), deadline_ms = std::llround(d.deadline * 1000);
  auto reply = ask(options, fmt::format("drain begin {} {}", quiet_ms, deadline_ms));
  if (!reply) return reply.error();
  if (reply->value("again", false))
    std::cout << fmt::format(
        "a drain is already under way (for {}): following it with its own --quiet and --deadline\n",
        seconds(reply->value("elapsed_ms", 0LL)));
  else
    std::cout << fmt::format("draining: GET /ready answers 503; waiting until no request arrived for {} (at most {})\n",
                             seconds(quiet_ms), seconds(deadline_ms));
  std::cout.flush();
  // The server bounds every phase; this bound only keeps the CLI from waiting on a wedged server.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms) + std::chrono::hours(1);
  while (reply->value("phase", std::string()) != "drained") {
    if (std::chrono::steady_clock::now() > give_up) {
      std::cerr << "gatehouse drain: the server did not finish draining\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = ask(options, "drain status");
    if (!reply) return reply.error();
  }
  print_drained(*reply);
  return d.stop ? stop(options) : 0;
}

void finish(int rc) {
  if (rc != 0) throw CLI::RuntimeError(rc);
}

CLI::App* command(CLI::App& app, const char* name, const char* help, std::shared_ptr<ControlOptions> options) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("--config", options->config_file,
                  "the configuration the server runs (default: /etc/gatehouse/gatehouse.toml if present, "
                  "else the embedded demo)");
  return cmd;
}

}  // namespace

void add_control(CLI::App& app) {
  auto o = std::make_shared<ControlOptions>();
  auto* st = command(app, "status", "show the running server's pools, workers and queues", o);
  st->add_flag("--json", o->json, "print the status as JSON");
  st->callback([o] { finish(status(*o)); });

  auto r = std::make_shared<ControlOptions>();
  auto* rc = command(app, "recycle", "recycle a pool's workers gracefully (new requests get new workers)", r);
  rc->add_option("pool", r->pool, "the pool's name")->required();
  rc->callback([r] {
    auto reply = ask(*r, "recycle " + r->pool);
    if (!reply) finish(reply.error());
    std::cout << "recycling pool " << r->pool << "\n";
  });

  auto rl = std::make_shared<ControlOptions>();
  command(app, "reload", "make the running server read its configuration again (as SIGHUP does)", rl)->callback([rl] {
    auto reply = ask(*rl, "reload", nullptr, 60);
    if (!reply) finish(reply.error());
    for (const auto& c : reply->value("changes", nlohmann::json::array())) std::cout << c.get<std::string>() << "\n";
    for (const auto& w : reply->value("warnings", nlohmann::json::array()))
      std::cerr << "warning: " << w.get<std::string>() << "\n";
    std::cout << "reloaded\n";
  });

  auto s = std::make_shared<ControlOptions>();
  command(app, "stop", "stop the running server gracefully (as SIGTERM does)", s)->callback([s] { finish(stop(*s)); });

  auto d = std::make_shared<ControlOptions>();
  auto dd = std::make_shared<DrainCli>();
  auto* dr = command(app, "drain",
                     "take this node out of a load balancer: GET /ready answers 503, then wait until no request "
                     "arrived for --quiet seconds (or --deadline passed) and the requests in flight ended",
                     d);
  dr->add_option("--quiet", dd->quiet, "seconds without a new request that mean the balancer stopped (default 5)")
      ->check(CLI::Range(0.0, 3600.0));
  dr->add_option("--deadline", dd->deadline, "stop waiting for quiet after this many seconds (default 60)")
      ->check(CLI::Range(0.001, 86400.0));
  auto* then_stop = dr->add_flag("--stop", dd->stop, "then stop the server gracefully (as `gatehouse stop`)");
  dr->add_flag("--cancel", dd->cancel, "call a drain off: GET /ready answers 200 again")->excludes(then_stop);
  dr->callback([d, dd] { finish(drain(*d, *dd)); });

  auto l = std::make_shared<ControlOptions>();
  command(app, "reopen-logs", "make the running server reopen its log files (as SIGUSR1 does)", l)->callback([l] {
    auto reply = ask(*l, "reopen-logs");
    if (!reply) finish(reply.error());
  });
}

}  // namespace gatehouse::cli

// Reloader: load, diff, build the next snapshot, swap, retire.
#include "reload/reloader.hpp"

#include <fmt/format.h>

#include <cstring>

#include "common/log.hpp"
#include "config/load.hpp"

namespace gatehouse::reload {
namespace {

std::string bind_message(const config::Config& config, const Error& error) {
  if (error.errnum == 0) return error.message();  // not a bind failure (a TLS change that needs a restart)
  std::string users;
  const auto port = error.target.substr(error.target.rfind(':') + 1);
  for (const auto& site : config.sites)
    for (const auto& b : site.bindings)
      if (std::to_string(b.port) == port)
        users += fmt::format("{}site {} (binding \"{}\")", users.empty() ? "" : ", ", site.name, b.text);
  return fmt::format("cannot listen on {}: {}{}", error.target, std::strerror(error.errnum),
                     users.empty() ? "" : ", needed by " + users);
}

}  // namespace

Reloader::Reloader(std::string file, const config::Config& first, http::Server& server, pool::PoolSet& pools,
                   Builders builders)
    : file_(std::move(file)), server_(server), pools_(pools), builders_(std::move(builders)) {
  current_.config = std::shared_ptr<const config::Config>(&first, [](const config::Config*) {});
  current_.ini = read_ini_digests(first);
  current_.snapshot = server_.current();
  thread_ = std::thread([this] { housekeeping(); });
}

Reloader::~Reloader() { stop(); }

void Reloader::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  for (auto& g : old_)
    if (g.gate) g.gate->stop();
  if (current_.gate) current_.gate->stop();
}

Outcome Reloader::reload() {
  std::lock_guard lock(mutex_);
  Outcome out;
  if (stopping_) {
    out.errors.push_back("the server is stopping");
    return out;
  }
  if (file_.empty()) {
    out.errors.push_back("the embedded demo has no file to read again: serve --config FILE to reload");
    log::error("reload refused: {}", out.errors.back());
    return out;
  }
  log::info("reload: reading {}", file_);
  std::shared_ptr<const config::Config> next;
  try {
    next = std::make_shared<const config::Config>(builders_.load(file_));
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) out.errors.push_back(p.str());
  } catch (const std::exception& e) {
    out.errors.push_back(fmt::format("{}: {}", file_, e.what()));
  }
  if (!next) {
    for (const auto& e : out.errors) log::error("reload: {}", e);
    log::error("reload: {} is not valid ({} problem(s)): nothing changed, serving goes on", file_, out.errors.size());
    return out;
  }
  out = apply(std::move(next));
  if (!out.ok) {
    for (const auto& e : out.errors) log::error("reload: {}", e);
    log::error("reload: cannot apply {}: nothing changed, serving goes on", file_);
  }
  return out;
}

// Everything that can fail (accounts, gate, router, binds) comes before the
// swap; after it nothing fails: the pools only learn their new settings.
Outcome Reloader::apply(std::shared_ptr<const config::Config> next) {
  Outcome out;
  for (const auto& w : next->warnings) out.warnings.push_back(w.str());
  Generation gen;
  gen.config = next;
  gen.ini = read_ini_digests(*next);
  const Diff d = diff(*current_.config, current_.ini, *next, gen.ini);
  auto fail = [&](std::string what) {
    out.errors.push_back(std::move(what));
    return out;
  };
  if (builders_.provision)
    if (auto ok = builders_.provision(*next); !ok) return fail(ok.error().message());
  auto gate = builders_.gate(*next);
  if (!gate) return fail("cannot resolve the identities requests act as: " + gate.error().message());
  gen.gate = std::move(*gate);
  auto snapshot = server_.prepare(next, gen.gate.get(), builders_.php(next));
  if (!snapshot) return fail(snapshot.error().message());
  if (auto ok = server_.probe_new(**snapshot); !ok) return fail(bind_message(*next, ok.error()));
  // The pools first: a request on the new snapshot asks for the new sets.
  auto left = pools_.update(next->pools, builders_.sandbox(*next), d.retire_pools);
  if (auto ok = server_.swap(*snapshot); !ok) {
    // Only when an address was taken between the probe and the bind: the
    // pools go back to the old settings (a retired set's requests get a new set).
    pools_.update(current_.config->pools, builders_.sandbox(*current_.config), {});
    retired_.push_back({std::move(left), std::chrono::steady_clock::now()});
    return fail(bind_message(*next, ok.error()));
  }
  gen.snapshot = *snapshot;
  const auto grace = std::chrono::steady_clock::now() + next->server.shutdown_timeout;
  if (!left.empty()) retired_.push_back({std::move(left), grace});
  old_.push_back(std::move(current_));
  current_ = std::move(gen);
  out.ok = true;
  out.changes = d.changes;
  if (out.changes.empty()) out.changes.push_back("no change to sites, bindings or pools");
  for (const auto& c : out.changes) log::info("reload: {}", c);
  for (const auto& r : d.need_restart) {
    out.warnings.push_back(r + " changed: it takes effect at the next restart");
    log::warn("reload: {}", out.warnings.back());
  }
  for (const auto& w : next->warnings) log::warn("[config] {}", w.str());
  log::info("reload: {} applied", file_);
  return out;
}

void Reloader::housekeeping() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (!stopping_) collect();
  }
}

// A generation whose snapshot only we still hold has no request left: its
// gate stops. Retired worker sets stop when no old generation is left (none
// can reach them), or at their deadline (shutdown_timeout after the reload).
void Reloader::collect() {
  for (auto it = old_.begin(); it != old_.end();) {
    if (it->snapshot.use_count() > 1) {
      ++it;
      continue;
    }
    if (it->gate) it->gate->stop();
    it = old_.erase(it);
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (!old_.empty() && now < it->deadline) {
      ++it;
      continue;
    }
    pools_.stop_sets(it->sets);
    it = retired_.erase(it);
  }
}

}  // namespace gatehouse::reload

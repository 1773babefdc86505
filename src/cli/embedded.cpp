// The compiled-in demo configuration and the writing of its content.
#include "cli/embedded.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

#include "cli/demo_content.hpp"
#include "common/log.hpp"
#include "config/load.hpp"
#include "perms/apply.hpp"
#include "perms/plan.hpp"
#include "tls/certificate.hpp"

namespace gatehouse::cli {
namespace fs = std::filesystem;

fs::path default_state_dir() {
  if (geteuid() == 0) return "/var/lib/gatehouse";
  return fs::absolute("var");
}

std::string embedded_config_text(const fs::path& state_dir) {
  const fs::path demo = state_dir / "demo";
  const fs::path log_dir = geteuid() == 0 ? fs::path("/var/log/gatehouse") : state_dir / "log";
  return fmt::format(R"([server]
state_dir = "{state}"
log_dir   = "{log}"

[accounts]
anonymous = "gh-iusr"

[[pools]]
name     = "demo"
identity = "ApplicationPoolIdentity"
php_cgi  = "/usr/bin/php-cgi"
php_ini  = "{demo}/php.ini"

[pools.fastcgi]
max_instances         = 2
instance_max_requests = 500
monitor_changes_to    = "{demo}/php.ini"

[[sites]]
name          = "demo"
bindings      = ["http://127.0.0.1:8080:*", "https://127.0.0.1:8443:*"]
app_root      = "{demo}"
physical_path = "{demo}/www"
pool          = "demo"
default_documents = ["index.php", "index.html"]
writable      = ["{demo}/www/uploads"]

[sites.authentication.anonymous]
enabled = true
user    = "IUSR"

[sites.tls]
certificate = "{state}/tls/demo.crt"
key         = "{state}/tls/demo.key"
)",
                     fmt::arg("state", state_dir.string()), fmt::arg("log", log_dir.string()),
                     fmt::arg("demo", demo.string()));
}

namespace {

// Writes `text` to `file` unless the file exists: a user's edits survive restarts.
void write_if_missing(const fs::path& file, std::string_view text, fs::perms mode) {
  if (fs::exists(file)) return;
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw fs::filesystem_error("write demo file", file, std::make_error_code(std::errc::io_error));
  fs::permissions(file, mode);
}

void write_demo_content(const fs::path& state_dir) {
  const fs::path demo = state_dir / "demo";
  const auto file_mode =
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  for (const auto& f : demo_files(demo)) write_if_missing(demo / f.path, f.text, file_mode);
  for (const auto& dir : {demo / "www", demo / "www" / "uploads", demo / "tmp", demo / "sessions", demo / "log"}) {
    fs::create_directories(dir);
  }
}

// The demo's https binding: a self-signed certificate made on the first start.
void ensure_demo_certificate(const fs::path& state_dir) {
  const fs::path dir = state_dir / "tls";
  if (fs::exists(dir / "demo.crt") && fs::exists(dir / "demo.key")) return;
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  if (auto ok = tls::make_self_signed(dir / "demo.crt", dir / "demo.key", "localhost"); !ok)
    throw fs::filesystem_error("make the demo certificate: " + ok.error().message(), dir,
                               std::make_error_code(std::errc::io_error));
  log::info("[site demo] generated a self-signed certificate for https://127.0.0.1:8443/: {}",
            (dir / "demo.crt").string());
}

}  // namespace

config::Config embedded_default() {
  const fs::path state_dir = default_state_dir();
  write_demo_content(state_dir);
  ensure_demo_certificate(state_dir);
  return config::load_string(embedded_config_text(state_dir), "<embedded default>");
}

void apply_demo_permissions(const config::Config& demo) {
  if (geteuid() != 0) return;
  const perms::Plan plan = perms::make_plan(demo);
  auto report = perms::apply(plan, perms::ApplyOptions{.state_dir = demo.server.state_dir});
  if (!report) {
    log::warn("[site demo] applying the demo's permissions failed: {}", report.error().message());
  } else if (report->changed > 0) {
    log::info("[site demo] permissions applied to {} paths (undo: gatehouse perms restore {})", report->changed,
              report->backup_id);
  }
}

}  // namespace gatehouse::cli

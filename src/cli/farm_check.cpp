// The farm rules of `check --farm` and the configuration fingerprint; see
// farm_check.hpp and the README ("Running a farm").
#include "cli/farm_check.hpp"

#include <linux/magic.h>
#include <openssl/evp.h>
#include <sys/vfs.h>
#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "accounts/names.hpp"
#include "config/load.hpp"
#include "config/networks.hpp"
#include "config/summary.hpp"
#include "sandbox/process_model.hpp"

namespace gatehouse::cli {
namespace {

// Not in linux/magic.h: the kernel's fs/ceph and fs/smb/client values.
constexpr long kCephMagic = 0x00c36400;  // CEPH_SUPER_MAGIC
constexpr long kCifsMagic = 0xff534d42;  // CIFS_SUPER_MAGIC
constexpr long kSmb2Magic = 0xfe534d42;  // SMB2_SUPER_MAGIC
constexpr long kFuseMagic = 0x65735546;  // FUSE_SUPER_MAGIC: GlusterFS and ceph-fuse mount through FUSE

// The file system type of `path` or of its nearest existing ancestor.
std::optional<long> fs_type(config::Path path) {
  struct statfs st {};
  while (!path.empty()) {
    if (::statfs(path.c_str(), &st) == 0) return static_cast<long>(st.f_type);
    if (path == path.root_path()) break;
    path = path.parent_path();
  }
  return std::nullopt;
}

bool is_memory_fs(long type) { return type == TMPFS_MAGIC || type == RAMFS_MAGIC; }
bool is_shared_fs(long type) {
  return type == NFS_SUPER_MAGIC || type == kCephMagic || type == kCifsMagic || type == kSmb2Magic ||
         type == kFuseMagic;
}

std::string hex(const unsigned char* bytes, unsigned size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

std::string read_file(const config::Path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void check_bindings(const config::Config& config, FarmReport& report) {
  for (const auto& site : config.sites) {
    for (const auto& b : site.bindings) {
      if (b.ip == "*") continue;
      if (config::is_node_local_address(b.ip)) {
        report.notes.push_back("site " + site.name + ": binding " + b.text +
                               " is reachable only from the node itself (a balancer on the same machine)");
        continue;
      }
      report.problems.push_back("site " + site.name + ": binding " + b.text + " names the address " + b.ip +
                                " of one node; bind \"*\" so every node listens on its own addresses");
    }
  }
}

void check_state(const config::Config& config, FarmReport& report) {
  const std::pair<const char*, const config::Path*> dirs[] = {{"state_dir", &config.server.state_dir},
                                                              {"log_dir", &config.server.log_dir}};
  for (const auto& [key, dir] : dirs) {
    const auto type = fs_type(*dir);
    if (type && is_memory_fs(*type))
      report.problems.push_back(std::string{key} + " " + dir->string() +
                                " is on tmpfs: lost at reboot (the accounts registry and ACL backups live there); "
                                "put it on a disk of the node");
    else if (type && is_shared_fs(*type))
      report.problems.push_back(std::string{key} + " " + dir->string() +
                                " is on a shared file system: every node needs its own (worker sockets, registry); "
                                "set it per node in [node]");
  }
}

void check_sessions(const config::Config& config, FarmReport& report) {
  for (const auto& pool : config.pools) {
    const auto& redis = pool.ini.redis_sessions;
    if (redis) {
      if (redis->scheme == "unix" || config::is_node_local_address(redis->host))
        report.problems.push_back("pool " + pool.name + ": sessions go to " + redis->server() +
                                  ", a Redis on each node: a user the balancer moves loses the session; name the "
                                  "shared Redis server");
      else
        report.notes.push_back("pool " + pool.name + ": sessions in " + config::session_destination(pool.ini));
      continue;
    }
    const config::Path dir = pool.ini.session_save_path.value_or("/var/lib/php/sessions");
    const auto type = fs_type(dir);
    if (type && is_shared_fs(*type))
      report.notes.push_back("pool " + pool.name + ": sessions in files on the shared file system " + dir.string());
    else
      report.problems.push_back("pool " + pool.name + ": sessions in files in " + dir.string() +
                                ", a folder of each node: a user the balancer moves loses the session; use "
                                "session.save_handler = redis, or a folder on the shared file system");
  }
}

void check_pinned_ids(const config::Config& config, FarmReport& report) {
  for (const auto& pool : config.pools) {
    if (!pool.uses_pool_identity()) continue;
    if (pool.uid && pool.gid) continue;
    const std::string missing = !pool.uid && !pool.gid ? "uid and gid" : !pool.uid ? "uid" : "gid";
    report.problems.push_back("pool " + pool.name + ": account " + accounts::pool_account(pool) + " has no pinned " +
                              missing +
                              "; each node would pick its own, and ACLs on the shared file system name ids: set "
                              "uid = N and gid = N in its [[pools]] table");
  }
  if (!config.accounts.anonymous_uid || !config.accounts.anonymous_gid)
    report.problems.push_back("the anonymous account " + config.accounts.anonymous +
                              " has no pinned uid and gid: set anonymous_uid and anonymous_gid in [accounts]");
  // gh-front owns only node-local files (access logs, the body spool): a note, not a problem.
  if (!config.accounts.front_uid || !config.accounts.front_gid)
    report.notes.push_back(std::string("the front account ") + sandbox::kFrontAccount +
                           " has no pinned uid and gid: each node picks its own (it owns only node-local files); set "
                           "front_uid and front_gid in [accounts] to keep the nodes' accounts identical");
}

}  // namespace

std::string farm_fingerprint(const config::Config& config, const std::string& text) {
  toml::table doc;
  try {
    doc = toml::parse(text, config.source.string());
  } catch (const toml::parse_error& e) {
    throw config::ConfigError({config::Problem{config::SourcePos{config.source.string(), 0, 0}, "",
                                               "TOML syntax error: " + std::string{e.description()}}});
  }
  doc.erase("node");
  std::ostringstream canonical;
  canonical << toml::toml_formatter{doc, toml::format_flags::none} << "\n";
  for (const auto& pool : config.pools) {
    if (pool.php_ini.empty()) continue;
    canonical << "php.ini " << pool.php_ini.string() << "\n" << read_file(pool.php_ini) << "\n";
  }
  const std::string bytes = canonical.str();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  return "sha256:" + hex(digest, size);
}

FarmReport check_farm(const config::Config& config, const std::string& text) {
  FarmReport report;
  check_bindings(config, report);
  check_state(config, report);
  check_sessions(config, report);
  check_pinned_ids(config, report);
  if (config.node.declared)
    report.notes.push_back("[node]" + (config.node.name.empty() ? std::string{} : " " + config.node.name) +
                           ": left out of the fingerprint");
  report.fingerprint = farm_fingerprint(config, text);
  return report;
}

}  // namespace gatehouse::cli

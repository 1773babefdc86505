// Reads [[pools]] with their [pools.fastcgi] settings and environment.
#include "config/farm_keys.hpp"
#include "config/keys.hpp"
#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Free-form names, so no Keys table: each key is a variable.
void read_environment(TableReader& fastcgi, std::string_view key, FastCgi& out) {
  const toml::table* table = fastcgi.table(key);
  if (!table) return;
  TableReader t{*fastcgi.state(), *table, fastcgi.key(key), "[pools.fastcgi.environment]"};
  for (auto&& [k, v] : *table) {
    const std::string name{k.str()};
    t.record(name, v);
    if (!is_env_name(name)) {
      t.problem(name, "expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got " + in_quotes(name));
    } else if (name == "PHP_FCGI_CHILDREN") {
      // php-cgi would fork its own children behind Gatehouse's back: one request per process is the model.
      t.problem(name, "PHP_FCGI_CHILDREN is set by Gatehouse (0: one request per process); remove it");
    } else if (const auto* s = v.as_string()) {
      out.environment.emplace_back(name, s->get());
    } else if (const auto* i = v.as_integer()) {
      out.environment.emplace_back(name, std::to_string(i->get()));
    } else {
      t.problem(name, "expected a string or an integer, got " + describe(v));
    }
  }
}

void read_stderr_mode(TableReader& t, std::string_view key, FastCgi& out) {
  std::string mode;
  t.string(key, mode);
  if (!t.node(key)->is_string()) return;
  if (auto parsed = parse_stderr_mode(mode))
    out.stderr_mode = *parsed;
  else
    t.problem(key, parsed.error());
}

const Keys<FastCgi> kFastCgiKeys = {
    field("max_instances", &FastCgi::max_instances, 1u),
    field("instance_max_requests", &FastCgi::instance_max_requests, 1u),
    field("idle_timeout", &FastCgi::idle_timeout, Seconds{1}),
    field("activity_timeout", &FastCgi::activity_timeout, Seconds{1}),
    field("request_timeout", &FastCgi::request_timeout, Seconds{1}),
    field("queue_length", &FastCgi::queue_length, 0u),
    field("rapid_fails_per_minute", &FastCgi::rapid_fails_per_minute, 0u),
    field("monitor_changes_to", &FastCgi::monitor_changes_to),
    custom("stderr_mode", read_stderr_mode),
    field("signal_before_terminate", &FastCgi::signal_before_terminate),
    custom("environment", read_environment),
};

void read_umask(TableReader& t, std::string_view key, Pool& pool) {
  const toml::node* n = t.node(key);
  t.record(key, *n);
  if (const auto* s = n->as_string()) {
    if (auto parsed = parse_umask(s->get()))
      pool.umask = *parsed;
    else
      t.problem(key, parsed.error());
  } else if (const auto* i = n->as_integer(); i && i->get() >= 0 && i->get() <= 0777) {
    pool.umask = static_cast<unsigned>(i->get());  // TOML writes octal as 0o007
  } else {
    t.problem(key, "expected an octal string like \"007\" or an integer from 0 to 0o777, got " + describe(*n));
  }
}

void read_name(TableReader& t, std::string_view key, Pool& pool) {
  t.string(key, pool.name);
  if (t.node(key)->is_string() && !is_object_name(pool.name))
    t.problem(key, "expected a name of letters, digits, '-', '_' or '.', got " + in_quotes(pool.name));
}

void read_identity(TableReader& t, std::string_view key, Pool& pool) {
  std::string identity;
  t.string(key, identity);
  if (!t.node(key)->is_string()) return;
  if (auto parsed = parse_identity(identity))
    pool.identity = *parsed;
  else
    t.problem(key, parsed.error());
}

void read_sandbox(TableReader& pool, PoolSandbox& out) {
  const toml::table* table = pool.table("sandbox");
  if (!table) return;
  TableReader t{*pool.state(), *table, pool.key("sandbox"), "[pools.sandbox]"};
  t.reject_unknown({"enabled", "read", "write", "execute"});
  t.boolean("enabled", out.enabled);
  t.absolute_paths("read", out.read);
  t.absolute_paths("write", out.write);
  t.absolute_paths("execute", out.execute);
  for (const auto& dir : out.write)
    if (dir == "/") t.problem("write", "\"/\" would give the pool the whole machine; name the folders it writes");
}

// memory: bytes as an integer, or a string with a K, M or G suffix (powers of 1024).
void read_memory(TableReader& t, std::uint64_t& out, const char* key = "memory") {
  const toml::node* n = t.node(key);
  if (!n) return;
  t.record(key, *n);
  if (const auto* i = n->as_integer(); i && i->get() >= 0) {
    out = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = n->as_string()) {
    if (auto parsed = parse_size(s->get()))
      out = *parsed;
    else
      t.problem(key, parsed.error());
  } else {
    t.problem(key, "expected bytes as an integer or a string like \"512M\", got " + describe(*n));
  }
  if (out != 0 && out < (16u << 20)) t.problem(key, "expected at least 16M: php-cgi alone needs more");
}

void read_limits(TableReader& pool, ResourceLimits& out) {
  const toml::table* table = pool.table("limits");
  if (!table) return;
  TableReader t{*pool.state(), *table, pool.key("limits"), "[pools.limits]"};
  t.reject_unknown({"memory", "instance_memory", "max_processes", "cpu_percent"});
  read_memory(t, out.memory_bytes);
  read_memory(t, out.instance_memory_bytes, "instance_memory");
  if (out.memory_bytes != 0 && out.instance_memory_bytes >= out.memory_bytes)
    t.problem("instance_memory", "expected less than the pool's memory: the kernel would kill before the recycle");
  t.count("max_processes", out.max_processes, 0, 1'000'000);
  std::uint64_t cpu = out.cpu_percent;
  t.count("cpu_percent", cpu, 0, 100);
  out.cpu_percent = static_cast<unsigned>(cpu);
}

void read_sandbox_key(TableReader& t, std::string_view, Pool& pool) { read_sandbox(t, pool.sandbox); }
void read_limits_key(TableReader& t, std::string_view, Pool& pool) { read_limits(t, pool.limits); }

const Keys<Pool> kPoolKeys = {
    required(custom("name", read_name), "the pool's name"),
    custom("identity", read_identity),
    field("php_cgi", &Pool::php_cgi),
    field("php_ini", &Pool::php_ini),
    custom("umask", read_umask),
    section("fastcgi", "[pools.fastcgi]", &Pool::fastcgi, kFastCgiKeys),
    custom("sandbox", read_sandbox_key),
    custom("limits", read_limits_key),
    custom("uid", read_pool_uid),
    custom("gid", read_pool_gid),
};

Pool read_pool(TableReader& t, const Config&) {
  Pool pool;
  pool.pos = t.pos();
  read_keys(t, kPoolKeys, pool);
  return pool;
}

}  // namespace

bool is_object_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  return true;
}

Key<Config> pools_key() { return tables("pools", "[[pools]]", &Config::pools, read_pool); }

}  // namespace gatehouse::config

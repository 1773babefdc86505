// Reads [[pools]] with their [pools.fastcgi] settings and environment.
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

void read_environment(TableReader& fastcgi, FastCgi& out) {
  const toml::table* table = fastcgi.table("environment");
  if (!table) return;
  TableReader t{*fastcgi.state(), *table, fastcgi.key("environment"), "[pools.fastcgi.environment]"};
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

void read_fastcgi(TableReader& pool, FastCgi& out) {
  const toml::table* table = pool.table("fastcgi");
  if (!table) return;
  TableReader t{*pool.state(), *table, pool.key("fastcgi"), "[pools.fastcgi]"};
  t.reject_unknown({"max_instances", "instance_max_requests", "idle_timeout", "activity_timeout", "request_timeout",
                    "queue_length", "rapid_fails_per_minute", "monitor_changes_to", "stderr_mode",
                    "signal_before_terminate", "environment"});
  t.count("max_instances", out.max_instances, 1);
  t.count("instance_max_requests", out.instance_max_requests, 1);
  t.duration("idle_timeout", out.idle_timeout, Seconds{1});
  t.duration("activity_timeout", out.activity_timeout, Seconds{1});
  t.duration("request_timeout", out.request_timeout, Seconds{1});
  t.count("queue_length", out.queue_length, 0);
  t.count("rapid_fails_per_minute", out.rapid_fails_per_minute, 0);
  t.absolute_path("monitor_changes_to", out.monitor_changes_to);
  std::string mode;
  t.string("stderr_mode", mode);
  if (t.has("stderr_mode") && t.node("stderr_mode")->is_string()) {
    if (auto parsed = parse_stderr_mode(mode)) out.stderr_mode = *parsed;
    else t.problem("stderr_mode", parsed.error());
  }
  t.duration("signal_before_terminate", out.signal_before_terminate);
  read_environment(t, out);
}

void read_umask(TableReader& t, unsigned& out) {
  const toml::node* n = t.node("umask");
  if (!n) return;
  t.record("umask", *n);
  if (const auto* s = n->as_string()) {
    if (auto parsed = parse_umask(s->get())) out = *parsed;
    else t.problem("umask", parsed.error());
  } else if (const auto* i = n->as_integer(); i && i->get() >= 0 && i->get() <= 0777) {
    out = static_cast<unsigned>(i->get());  // TOML writes octal as 0o007
  } else {
    t.problem("umask", "expected an octal string like \"007\" or an integer from 0 to 0o777, got " + describe(*n));
  }
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
void read_memory(TableReader& t, std::uint64_t& out) {
  const toml::node* n = t.node("memory");
  if (!n) return;
  t.record("memory", *n);
  if (const auto* i = n->as_integer(); i && i->get() >= 0) {
    out = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = n->as_string()) {
    if (auto parsed = parse_size(s->get())) out = *parsed;
    else t.problem("memory", parsed.error());
  } else {
    t.problem("memory", "expected bytes as an integer or a string like \"512M\", got " + describe(*n));
  }
  if (out != 0 && out < (16u << 20)) t.problem("memory", "expected at least 16M: php-cgi alone needs more");
}

void read_limits(TableReader& pool, ResourceLimits& out) {
  const toml::table* table = pool.table("limits");
  if (!table) return;
  TableReader t{*pool.state(), *table, pool.key("limits"), "[pools.limits]"};
  t.reject_unknown({"memory", "max_processes", "cpu_percent"});
  read_memory(t, out.memory_bytes);
  t.count("max_processes", out.max_processes, 0, 1'000'000);
  std::uint64_t cpu = out.cpu_percent;
  t.count("cpu_percent", cpu, 0, 100);
  out.cpu_percent = static_cast<unsigned>(cpu);
}

Pool read_pool(TableReader& t) {
  Pool pool;
  pool.pos = t.pos();
  t.reject_unknown({"name", "identity", "php_cgi", "php_ini", "umask", "fastcgi", "sandbox", "limits"});
  t.string("name", pool.name);
  if (!t.has("name")) t.problem("name", "missing key 'name' (the pool's name)");
  else if (t.node("name")->is_string() && !is_object_name(pool.name))
    t.problem("name", "expected a name of letters, digits, '-', '_' or '.', got " + in_quotes(pool.name));
  std::string identity;
  t.string("identity", identity);
  if (t.has("identity") && t.node("identity")->is_string()) {
    if (auto parsed = parse_identity(identity)) pool.identity = *parsed;
    else t.problem("identity", parsed.error());
  }
  t.absolute_path("php_cgi", pool.php_cgi);
  t.absolute_path("php_ini", pool.php_ini);
  read_umask(t, pool.umask);
  read_fastcgi(t, pool.fastcgi);
  read_sandbox(t, pool.sandbox);
  read_limits(t, pool.limits);
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

void read_pools(TableReader& root, std::vector<Pool>& pools) {
  const auto tables = root.tables("pools");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (!tables[i]) {
      pools.emplace_back();  // keeps indexes in step with the file; already reported
      continue;
    }
    TableReader t{*root.state(), *tables[i], "pools[" + std::to_string(i) + "]", "[[pools]]"};
    pools.push_back(read_pool(t));
  }
}

}  // namespace gatehouse::config

// TOML output of the IIS import (see toml_writer.hpp).
#include "iis/toml_writer.hpp"

#include <algorithm>
#include <cstdio>

#include "config/values.hpp"

namespace gatehouse::iis {
namespace {

class Out {
 public:
  void line(const std::string& text = "") { text_ += text + "\n"; }
  void key(const std::string& name, const std::string& value) { line(name + " = " + value); }
  void str(const std::string& name, std::string_view value) { key(name, toml_string(value)); }
  void num(const std::string& name, std::uint64_t value) { key(name, std::to_string(value)); }
  void boolean(const std::string& name, bool value) { key(name, value ? "true" : "false"); }
  void secs(const std::string& name, config::Seconds value) { str(name, std::to_string(value.count()) + "s"); }
  void strings(const std::string& name, const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + toml_string(values[i]);
    key(name, out + "]");
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

void write_pool(Out& o, const config::Pool& p) {
  o.line();
  o.line("[[pools]]");
  o.str("name", p.name);
  o.str("identity", p.identity);
  o.str("php_cgi", p.php_cgi.string());
  if (!p.php_ini.empty()) o.str("php_ini", p.php_ini.string());
  const auto& f = p.fastcgi;
  o.line();
  o.line("[pools.fastcgi]");
  o.num("max_instances", f.max_instances);
  o.num("instance_max_requests", f.instance_max_requests);
  o.secs("idle_timeout", f.idle_timeout);
  o.secs("activity_timeout", f.activity_timeout);
  o.secs("request_timeout", f.request_timeout);
  o.num("queue_length", f.queue_length);
  o.num("rapid_fails_per_minute", f.rapid_fails_per_minute);
  if (f.monitor_changes_to) o.str("monitor_changes_to", f.monitor_changes_to->string());
  o.str("stderr_mode", config::to_string(f.stderr_mode));
  o.secs("signal_before_terminate", f.signal_before_terminate);
  if (!f.environment.empty()) {
    o.line();
    o.line("[pools.fastcgi.environment]");
    for (const auto& [name, value] : f.environment) o.str(name, value);
  }
  if (p.limits.instance_memory_bytes == 0) return;
  o.line();
  o.line("[pools.limits]");
  o.num("instance_memory", p.limits.instance_memory_bytes);
}

void write_authentication(Out& o, const std::string& prefix, const config::Authentication& a) {
  o.line();
  o.line("[" + prefix + ".authentication.anonymous]");
  o.boolean("enabled", a.anonymous_enabled);
  o.str("user", a.anonymous_user == config::AnonymousUser::Iusr ? "IUSR" : "pool");
  if (!a.basic_enabled) return;
  o.line();
  o.line("[" + prefix + ".authentication.basic]");
  o.boolean("enabled", true);
  if (!a.basic_realm.empty()) o.str("realm", a.basic_realm);
}

// An application's lists are written as its own additions to the site's
// (the loader adds them to the site's again).
void write_filtering(Out& o, const std::string& table, const config::RequestFiltering& f,
                     const config::RequestFiltering* site) {
  auto own = [&](const std::vector<std::string>& values, const std::vector<std::string> config::RequestFiltering::*m) {
    std::vector<std::string> out;
    for (const auto& v : values)
      if (!site || std::find((site->*m).begin(), (site->*m).end(), v) == (site->*m).end()) out.push_back(v);
    return out;
  };
  using F = config::RequestFiltering;
  const std::pair<const char*, std::vector<std::string> F::*> kLists[] = {
      {"hidden_segments", &F::hidden_segments},
      {"denied_url_sequences", &F::denied_url_sequences},
      {"denied_extensions", &F::denied_extensions},
      {"allowed_extensions", &F::allowed_extensions}};
  bool header = false;
  for (auto [name, member] : kLists) {
    const auto values = own(f.*member, member);
    if (values.empty()) continue;
    if (!header) {
      o.line();
      o.line("[" + table + ".request_filtering]");
      header = true;
    }
    o.strings(name, values);
  }
}

void write_rules(Out& o, const std::string& table, const std::vector<RewriteRule>& rules) {
  for (const auto& r : rules) {
    o.line();
    o.line("[[" + table + "]]");
    o.str("name", r.name);
    o.str("match", r.match);
    if (!r.ignore_case) o.boolean("ignore_case", false);
    if (r.negate) o.boolean("negate", true);
    if (r.logical_grouping != "MatchAll") o.str("logical_grouping", r.logical_grouping);
    if (r.stop_processing) o.boolean("stop_processing", true);
    o.str("action", r.action);
    if (!r.url.empty()) o.str("url", r.url);
    if (!r.append_query_string) o.boolean("append_query_string", false);
    if (r.action == "Redirect") o.num("redirect_type", static_cast<std::uint64_t>(r.redirect_type));
    if (r.action == "CustomResponse") {
      o.num("status_code", static_cast<std::uint64_t>(r.status_code));
      if (r.substatus_code) o.num("substatus_code", static_cast<std::uint64_t>(r.substatus_code));
      if (!r.status_reason.empty()) o.str("status_reason", r.status_reason);
      if (!r.status_description.empty()) o.str("status_description", r.status_description);
    }
    for (const auto& c : r.conditions) {
      o.line();
      o.line("[[" + table + ".conditions]]");
      o.str("input", c.input);
      if (c.match_type != "Pattern") o.str("match_type", c.match_type);
      if (c.match_type == "Pattern") o.str("pattern", c.pattern);
      if (!c.ignore_case) o.boolean("ignore_case", false);
      if (c.negate) o.boolean("negate", true);
    }
  }
}

void write_site(Out& o, const config::Site& s, const std::vector<std::vector<RewriteRule>>& rules) {
  const auto& root = s.root();
  o.line();
  o.line("[[sites]]");
  o.str("name", s.name);
  std::vector<std::string> bindings;
  for (const auto& b : s.bindings) bindings.push_back(b.text);
  o.strings("bindings", bindings);
  o.str("physical_path", root.physical_path.string());
  o.str("pool", root.pool);
  o.strings("default_documents", s.default_documents);
  if (s.php_extensions != std::vector<std::string>{".php"}) o.strings("php_extensions", s.php_extensions);
  write_authentication(o, "sites", root.authentication);
  write_filtering(o, "sites", root.request_filtering, nullptr);
  for (const auto& p : s.handler_policies) {
    o.line();
    o.line("[[sites.handler_policies]]");
    o.str("path", p.path);
    o.boolean("scripts", p.scripts);
  }
  if (!rules.empty()) write_rules(o, "sites.rewrite", rules[0]);
  for (std::size_t i = 1; i < s.applications.size(); ++i) {
    const auto& app = s.applications[i];
    o.line();
    o.line("[[sites.applications]]");
    o.str("path", app.path);
    o.str("physical_path", app.physical_path.string());
    o.str("pool", app.pool);
    write_authentication(o, "sites.applications", app.authentication);
    write_filtering(o, "sites.applications", app.request_filtering, &root.request_filtering);
    if (i < rules.size()) write_rules(o, "sites.applications.rewrite", rules[i]);
  }
  for (const auto& d : s.virtual_directories) {
    o.line();
    o.line("[[sites.virtual_directories]]");
    o.str("path", d.path);
    o.str("physical_path", d.physical_path.string());
  }
}

}  // namespace

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string write_toml(const Imported& imported, const std::string& source) {
  Out o;
  std::string comment = source;
  for (char& c : comment)
    if (c == '\n' || c == '\r') c = ' ';
  o.line("# Imported from IIS by `gatehouse import iis` (" + comment + ").");
  o.line("# Read the migration report: every approximation and every setting left out is listed there.");
  const auto& config = imported.config;
  if (imported.limits_given) {
    o.line();
    o.line("[server.limits]");
    o.num("max_url_length", config.server.limits.max_url_length);
    o.num("max_query_string", config.server.limits.max_query_string);
    o.num("max_allowed_content_length", config.server.limits.max_allowed_content_length);
  }
  for (const auto& p : config.pools) write_pool(o, p);
  for (std::size_t i = 0; i < config.sites.size(); ++i)
    write_site(o, config.sites[i],
               i < imported.rewrite.size() ? imported.rewrite[i] : std::vector<std::vector<RewriteRule>>{});
  return o.take();
}

}  // namespace gatehouse::iis

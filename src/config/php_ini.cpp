// PHP INI parsing: sections, ';' comments, quoted values, key = value.
#include "config/php_ini.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/networks.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The value part of "key = value": quoted ("..." with \" and \\ escapes, or
// '...' raw) or bare up to a ';' comment. Empty optional: unterminated quote.
std::optional<std::string> parse_value(std::string_view raw) {
  raw = trim(raw);
  if (raw.empty()) return std::string{};
  const char quote = raw.front();
  if (quote != '"' && quote != '\'') return std::string{trim(raw.substr(0, raw.find(';')))};
  std::string out;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == quote) return out;
    if (quote == '"' && raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    out += raw[i];
  }
  return std::nullopt;
}

std::vector<Path> split_paths(const std::string& value) {
  std::vector<Path> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(':', start);
    if (end == std::string::npos) end = value.size();
    if (end > start) out.emplace_back(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Reads the settings Gatehouse acts on out of `values`.
void interpret(PhpIni& ini, const std::map<std::string, int>& lines, std::vector<Problem>& problems) {
  auto directory = [&](const std::string& key, std::string value) -> std::optional<Path> {
    if (value.empty()) return std::nullopt;
    if (value.front() != '/') {
      problems.push_back(Problem{SourcePos{ini.file.string(), lines.at(key), 1}, key,
                                 "expected an absolute path, got " + in_quotes(value)});
      return std::nullopt;
    }
    return clean_path(value);
  };
  const auto& v = ini.values;
  if (auto it = v.find("fastcgi.impersonate"); it != v.end()) ini.fastcgi_impersonate = ini_bool(it->second);
  if (auto it = v.find("upload_tmp_dir"); it != v.end()) ini.upload_tmp_dir = directory(it->first, it->second);
  auto handler = v.find("session.save_handler");
  if (handler != v.end() && lower(trim(handler->second)) == "redis") {
    // phpredis: the save path is a server address, not a folder.
    auto path = v.find("session.save_path");
    auto store = path == v.end() ? Parsed<RedisSessionStore>{std::unexpected(
                                       std::string{"session.save_handler = redis needs session.save_path = "
                                                   "\"tcp://host:6379\" (the Redis server)"})}
                                 : parse_redis_save_path(path->second);
    if (store) {
      auto locking = v.find("redis.session.locking_enabled");
      store->locking = locking != v.end() && ini_bool(locking->second);
      ini.redis_sessions = std::move(*store);
    } else {
      const std::string key = path == v.end() ? handler->first : path->first;
      problems.push_back(Problem{SourcePos{ini.file.string(), lines.at(key), 1}, key, store.error()});
    }
  } else if (auto it = v.find("session.save_path"); it != v.end()) {
    // "N;/path" and "N;MODE;/path" spread sessions over subfolders of /path.
    const std::size_t semi = it->second.rfind(';');
    ini.session_save_path = directory(it->first, semi == std::string::npos ? it->second : it->second.substr(semi + 1));
  }
  if (auto it = v.find("error_log"); it != v.end() && it->second != "syslog")
    ini.error_log = directory(it->first, it->second);
  if (auto it = v.find("include_path"); it != v.end()) ini.include_path = split_paths(it->second);
  if (auto it = v.find("open_basedir"); it != v.end()) ini.open_basedir = split_paths(it->second);
}

}  // namespace

bool ini_bool(std::string_view value) {
  const std::string v = lower(trim(value));
  if (v == "true" || v == "yes" || v == "on") return true;
  return std::atoi(v.c_str()) != 0;
}

PhpIni parse_php_ini(std::string_view text, const Path& file, std::vector<Problem>& problems) {
  PhpIni ini;
  ini.file = file;
  std::map<std::string, int> lines;  // key -> line of its last assignment
  bool global_section = true;
  int line_no = 0;
  std::istringstream in{std::string{text}};
  for (std::string line_text; std::getline(in, line_text);) {
    ++line_no;
    const std::string_view line = trim(line_text);
    auto problem = [&](std::string message) {
      problems.push_back(Problem{SourcePos{file.string(), line_no, 1}, "", std::move(message)});
    };
    if (line.empty() || line.front() == ';') continue;
    if (line.front() == '#') {
      problem("'#' comments are not PHP INI syntax (PHP 7 and later): use ';'");
      continue;
    }
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) {
        problem("expected a section header \"[name]\", got " + in_quotes(line));
        continue;
      }
      const std::string name = lower(trim(line.substr(1, close - 1)));
      global_section = !(name.starts_with("path=") || name.starts_with("host="));
      continue;
    }
    const std::size_t eq = line.find('=');
    const std::string key{trim(line.substr(0, eq == std::string_view::npos ? 0 : eq))};
    if (eq == std::string_view::npos || key.empty()) {
      problem("expected \"key = value\", got " + in_quotes(line));
      continue;
    }
    auto value = parse_value(line.substr(eq + 1));
    if (!value) {
      problem("unterminated quoted value for '" + key + "'");
      continue;
    }
    if (!global_section) continue;
    ini.values[key] = *value;
    lines[key] = line_no;
  }
  interpret(ini, lines, problems);
  return ini;
}

Result<PhpIni> read_php_ini(const Path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in) return std::unexpected(Error::sys("read php.ini", file.string(), errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(Error::sys("read php.ini", file.string(), errno));
  std::vector<Problem> problems;
  PhpIni ini = parse_php_ini(text.str(), file, problems);
  if (!problems.empty()) return std::unexpected(Error::logic("parse php.ini", file.string(), problems.front().str()));
  return ini;
}

}  // namespace gatehouse::config

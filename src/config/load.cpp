// Entry points of the loader: parse TOML, read each section, cross-check,
// and throw one ConfigError listing every problem.
#include "config/load.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/farm_keys.hpp"
#include "config/sections.hpp"

namespace gatehouse::config {
namespace {

std::string join(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p.str();
  return out;
}

Config build(const toml::table& doc, const std::string& source, const LoadOptions& options) {
  ReadState state{source, {}, {}, {}};
  TableReader root{state, doc, "", ""};
  static const Keys<Config> kTopLevelKeys = {server_key(), node_key(), accounts_key(), pools_key(), sites_key()};
  Config config;
  config.source = source;
  read_keys(root, kTopLevelKeys, config);
  check_references(config, state);
  check_paths(config, state, options.check_paths);
  check_tls(config, state, options.check_paths);
  check_overlaps(config, state);
  check_farm_settings(config, state);
  if (state.problems.empty()) {
    std::stable_sort(state.warnings.begin(), state.warnings.end(), [](const Warning& a, const Warning& b) {
      return std::tuple{a.pos.file, a.pos.line, a.pos.column} < std::tuple{b.pos.file, b.pos.line, b.pos.column};
    });
    config.warnings = std::move(state.warnings);
    config.positions = std::move(state.positions);
    return config;
  }
  // File order reads best; problems found in a php.ini come after.
  std::stable_sort(state.problems.begin(), state.problems.end(), [&](const Problem& a, const Problem& b) {
    return std::tuple{a.pos.file != source, a.pos.file, a.pos.line, a.pos.column} <
           std::tuple{b.pos.file != source, b.pos.file, b.pos.line, b.pos.column};
  });
  throw ConfigError(std::move(state.problems));
}

}  // namespace

std::string Problem::str() const {
  std::string out = pos.str() + ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + message;
}

ConfigError::ConfigError(std::vector<Problem> problems)
    : std::runtime_error(join(problems)), problems_(std::move(problems)) {}

Config load_string(std::string_view text, const std::string& source_name, const LoadOptions& options) {
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError({Problem{SourcePos{source_name, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
                               "TOML syntax error: " + std::string{e.description()}}});
  }
  return build(doc, source_name, options);
}

Config load_file(const Path& file, const LoadOptions& options) {
  std::ifstream in{file, std::ios::binary};
  std::error_code ec;
  if (!in || std::filesystem::is_directory(file, ec)) {
    const int err = errno;
    throw ConfigError(
        {Problem{SourcePos{file.string(), 0, 0}, "",
                 std::string{"cannot read the configuration file: "} +
                     (std::filesystem::is_directory(file, ec) ? "it is a directory" : std::strerror(err))}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_string(text.str(), file.string(), options);
}

}  // namespace gatehouse::config

// Typed, problem-collecting access to one toml++ table: every getter records
// the value's position under its dotted key and turns a bad value into a
// Problem instead of stopping, so the user sees every mistake at once.
#pragma once

#include <toml++/toml.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "config/model.hpp"

namespace gatehouse::config {

// Shared by all the table readers of one file.
struct ReadState {
  std::string file;
  std::vector<Problem> problems;
  std::map<std::string, SourcePos> positions;  // dotted key -> where its value is
  std::vector<Warning> warnings;

  SourcePos pos(const toml::source_region& region) const;
  void add(SourcePos pos, std::string key, std::string message);
  void warn(SourcePos pos, std::string key, std::string message);
  // The position recorded for `key`, or `fallback` when the key was not written.
  SourcePos pos_or(const std::string& key, const SourcePos& fallback) const;
};

// Describes a TOML node for messages: "integer 90", "string \"x\"", "a table".
std::string describe(const toml::node& node);

class TableReader {
 public:
  // `path` is the dotted key of the table ("pools[1].fastcgi", "" for the
  // root); `header` its TOML header for messages ("[pools.fastcgi]").
  TableReader(ReadState& state, const toml::table& table, std::string path, std::string header);

  std::string key(std::string_view name) const;
  ReadState* state() const { return &state_; }
  SourcePos pos() const { return state_.pos(table_.source()); }
  bool has(std::string_view name) const { return table_.contains(name); }

  // Each getter leaves `out` as it is (the default) when the key is absent.
  void string(std::string_view name, std::string& out);
  void boolean(std::string_view name, bool& out);
  void absolute_path(std::string_view name, Path& out);
  void absolute_path(std::string_view name, std::optional<Path>& out);
  void absolute_paths(std::string_view name, std::vector<Path>& out);
  void strings(std::string_view name, std::vector<std::string>& out);
  void duration(std::string_view name, Seconds& out, Seconds min = Seconds{0});
  void count(std::string_view name, std::uint64_t& out, std::uint64_t min = 0,
             std::uint64_t max = std::numeric_limits<std::int64_t>::max());
  void count(std::string_view name, unsigned& out, unsigned min = 0,
             unsigned max = std::numeric_limits<unsigned>::max());

  // The getter for the type of `out`, so a Key (keys.hpp) names only the member.
  void get(std::string_view name, std::string& out) { string(name, out); }
  void get(std::string_view name, bool& out) { boolean(name, out); }
  void get(std::string_view name, Path& out) { absolute_path(name, out); }
  void get(std::string_view name, std::optional<Path>& out) { absolute_path(name, out); }
  void get(std::string_view name, std::vector<Path>& out) { absolute_paths(name, out); }
  void get(std::string_view name, std::vector<std::string>& out) { strings(name, out); }
  void get(std::string_view name, Seconds& out, Seconds min = Seconds{0}) { duration(name, out, min); }
  void get(std::string_view name, std::uint64_t& out, std::uint64_t min = 0,
           std::uint64_t max = std::numeric_limits<std::int64_t>::max()) {
    count(name, out, min, max);
  }
  void get(std::string_view name, unsigned& out, unsigned min = 0,
           unsigned max = std::numeric_limits<unsigned>::max()) {
    count(name, out, min, max);
  }

  // A sub-table, or nullptr (a problem when present but not a table).
  const toml::table* table(std::string_view name);
  // An array of tables ([[x]]); empty when absent. An item that is not a
  // table is a problem and a nullptr, so indexes match the file.
  std::vector<const toml::table*> tables(std::string_view name);

  // Each key not in `known` is a problem naming the keys that are.
  void reject_unknown(const std::vector<std::string_view>& known);

  // Records a problem on the value of `name` (or on the table when absent).
  void problem(std::string_view name, std::string message);
  void record(std::string_view name, const toml::node& node);
  const toml::node* node(std::string_view name) { return table_.get(name); }

 private:
  // The value of `name` as T; a problem ("expected <what>, got ...") when it has another type.
  template <class T>
  const toml::value<T>* typed(std::string_view name, std::string_view what);

  ReadState& state_;
  const toml::table& table_;
  std::string path_;
  std::string header_;
};

}  // namespace gatehouse::config

// Typed access to toml++ tables with positions and collected problems.
#include "config/reader.hpp"

#include <sstream>

#include "config/values.hpp"

namespace gatehouse::config {

SourcePos ReadState::pos(const toml::source_region& region) const {
  return SourcePos{file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

void ReadState::add(SourcePos at, std::string key, std::string message) {
  problems.push_back(Problem{std::move(at), std::move(key), std::move(message)});
}

void ReadState::warn(SourcePos at, std::string key, std::string message) {
  warnings.push_back(Warning{std::move(at), std::move(key), std::move(message)});
}

SourcePos ReadState::pos_or(const std::string& key, const SourcePos& fallback) const {
  auto it = positions.find(key);
  return it == positions.end() ? fallback : it->second;
}

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string " + in_quotes(*node.value<std::string>());
    case toml::node_type::integer:
      return "integer " + std::to_string(*node.value<std::int64_t>());
    case toml::node_type::floating_point: {
      std::ostringstream out;
      out << "float " << *node.value<double>();
      return out.str();
    }
    case toml::node_type::boolean:
      return std::string{"boolean "} + (*node.value<bool>() ? "true" : "false");
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

TableReader::TableReader(ReadState& state, const toml::table& table, std::string path, std::string header)
    : state_(state), table_(table), path_(std::move(path)), header_(std::move(header)) {}

std::string TableReader::key(std::string_view name) const {
  return path_.empty() ? std::string{name} : path_ + "." + std::string{name};
}

void TableReader::record(std::string_view name, const toml::node& node) {
  state_.positions[key(name)] = state_.pos(node.source());
}

void TableReader::problem(std::string_view name, std::string message) {
  const toml::node* n = table_.get(name);
  state_.add(n ? state_.pos(n->source()) : pos(), key(name), std::move(message));
}

template <class T>
const toml::value<T>* TableReader::typed(std::string_view name, std::string_view what) {
  const toml::node* n = table_.get(name);
  if (!n) return nullptr;
  record(name, *n);
  const auto* v = n->as<T>();
  if (!v) problem(name, "expected " + std::string{what} + ", got " + describe(*n));
  return v;
}

void TableReader::string(std::string_view name, std::string& out) {
  if (const auto* v = typed<std::string>(name, "a string")) out = v->get();
}

void TableReader::boolean(std::string_view name, bool& out) {
  if (const auto* v = typed<bool>(name, "true or false")) out = v->get();
}

void TableReader::absolute_path(std::string_view name, Path& out) {
  const auto* v = typed<std::string>(name, "an absolute path");
  if (!v) return;
  if (v->get().empty() || v->get().front() != '/')
    return problem(name, "expected an absolute path, got " + in_quotes(v->get()));
  out = clean_path(v->get());
}

void TableReader::absolute_path(std::string_view name, std::optional<Path>& out) {
  if (!has(name)) return;
  Path p;
  absolute_path(name, p);
  if (!p.empty()) out = p;
}

void TableReader::absolute_paths(std::string_view name, std::vector<Path>& out) {
  std::vector<std::string> texts;
  strings(name, texts);
  out.clear();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string item = std::string{name} + "[" + std::to_string(i) + "]";
    if (texts[i].empty() || texts[i].front() != '/') {
      const toml::node* n = table_.get(name)->as_array()->get(i);
      state_.add(state_.pos(n->source()), key(item), "expected an absolute path, got " + in_quotes(texts[i]));
      continue;
    }
    out.push_back(clean_path(texts[i]));
  }
}

void TableReader::strings(std::string_view name, std::vector<std::string>& out) {
  const toml::node* n = table_.get(name);
  if (!n) return;
  record(name, *n);
  const toml::array* array = n->as_array();
  if (!array) return problem(name, "expected an array of strings, got " + describe(*n));
  out.clear();
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const std::string item_key = key(name) + "[" + std::to_string(i) + "]";
    state_.positions[item_key] = state_.pos(item.source());
    if (const auto* s = item.as_string())
      out.push_back(s->get());
    else
      state_.add(state_.pos(item.source()), item_key, "expected a string, got " + describe(item));
  }
}

void TableReader::duration(std::string_view name, Seconds& out, Seconds min) {
  const auto* v = typed<std::string>(name, "a duration string with a unit (\"90s\", \"5m\", \"1h\")");
  if (!v) return;
  auto parsed = parse_duration(v->get());
  if (!parsed) return problem(name, parsed.error());
  if (*parsed < min)
    return problem(name,
                   "expected a duration of at least " + std::to_string(min.count()) + "s, got " + in_quotes(v->get()));
  out = *parsed;
}

void TableReader::count(std::string_view name, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
  const std::string what = min == 0 ? "a non-negative integer" : "an integer of at least " + std::to_string(min);
  const auto* v = typed<std::int64_t>(name, what);
  if (!v) return;
  const std::int64_t n = v->get();
  if (n < 0 || static_cast<std::uint64_t>(n) < min)
    return problem(name, "expected " + what + ", got " + std::to_string(n));
  if (static_cast<std::uint64_t>(n) > max)
    return problem(name, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                             std::to_string(n));
  out = static_cast<std::uint64_t>(n);
}

void TableReader::count(std::string_view name, unsigned& out, unsigned min, unsigned max) {
  std::uint64_t wide = out;
  count(name, wide, min, max);
  out = static_cast<unsigned>(wide);
}

const toml::table* TableReader::table(std::string_view name) {
  const toml::node* n = table_.get(name);
  if (!n) return nullptr;
  record(name, *n);
  if (const auto* t = n->as_table()) return t;
  problem(name, "expected a table, got " + describe(*n));
  return nullptr;
}

std::vector<const toml::table*> TableReader::tables(std::string_view name) {
  std::vector<const toml::table*> out;
  const toml::node* n = table_.get(name);
  if (!n) return out;
  record(name, *n);
  const toml::array* array = n->as_array();
  if (!array) {
    problem(name, "expected an array of tables ([[" + std::string{name} + "]]), got " + describe(*n));
    return out;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const auto* t = item.as_table();
    out.push_back(t);  // nullptr keeps the indexes in step with the file
    if (t) {
      state_.positions[key(name) + "[" + std::to_string(i) + "]"] = state_.pos(item.source());
    } else {
      state_.add(state_.pos(item.source()), key(name) + "[" + std::to_string(i) + "]",
                 "expected a table, got " + describe(item));
    }
  }
  return out;
}

void TableReader::reject_unknown(const std::vector<std::string_view>& known) {
  for (auto&& [k, v] : table_) {
    bool found = false;
    for (auto name : known) found = found || name == k.str();
    if (found) continue;
    std::string list;
    for (auto name : known) list += (list.empty() ? "" : ", ") + std::string{name};
    const std::string where = header_.empty() ? "at the top level" : "in " + header_;
    state_.add(state_.pos(k.source()), key(k.str()),
               "unknown key '" + std::string{k.str()} + "' " + where + "; expected one of " + list);
  }
}

}  // namespace gatehouse::config

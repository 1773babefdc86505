// A table's keys as data (nginx's directives): each key is declared once, with
// how its value is read, and that one list drives both the unknown-key check
// and the reading. Adding a key to a section is one line in its Keys table.
#pragma once

#include <functional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/reader.hpp"

namespace gatehouse::config {

template <class T>
struct Key {
  std::string_view name;
  // Reads the value of `name`, present in the table, into `out`.
  std::function<void(TableReader& t, std::string_view name, T& out)> read;
  // Non-empty: the key must be written; absent is "missing key 'name' (<required>)".
  std::string_view required = {};
};

// In the order of the file's documentation: unknown-key messages list them so.
template <class T>
using Keys = std::vector<Key<T>>;

// Rejects every key of the table not in `keys`, then reads the keys in table
// order (so "missing key" problems at the same place come in that order).
template <class T>
void read_keys(TableReader& t, const Keys<T>& keys, T& out) {
  std::vector<std::string_view> names;
  names.reserve(keys.size());
  for (const auto& k : keys) names.push_back(k.name);
  t.reject_unknown(names);
  for (const auto& k : keys) {
    if (t.has(k.name)) {
      k.read(t, k.name, out);
    } else if (!k.required.empty()) {
      t.problem(k.name, "missing key '" + std::string{k.name} + "' (" + std::string{k.required} + ")");
    }
  }
}

// A key read into a member with the getter its type calls for: strings,
// booleans, absolute paths (one, optional, or a list), lists of strings,
// durations and counts (`limits` are the getter's min and max).
template <class T, class F, class... Limits>
Key<T> field(std::string_view name, F T::*member, Limits... limits) {
  return {name, [member, limits...](TableReader& t, std::string_view k, T& out) { t.get(k, out.*member, limits...); }};
}

// The same key, required.
template <class T>
Key<T> required(Key<T> key, std::string_view what) {
  key.required = what;
  return key;
}

// A key read by a function of its own (validation beyond the type).
template <class T>
Key<T> custom(std::string_view name, void (*read)(TableReader&, std::string_view, T&)) {
  return {name, read};
}

// A sub-table ("[server.limits]") read with its own Keys into a member.
template <class T, class F>
Key<T> section(std::string_view name, std::string_view header, F T::*member, const Keys<F>& keys) {
  return {name, [header, member, &keys](TableReader& t, std::string_view k, T& out) {
            const toml::table* table = t.table(k);
            if (!table) return;
            TableReader sub{*t.state(), *table, t.key(k), std::string{header}};
            read_keys(sub, keys, out.*member);
          }};
}

// An array of tables ("[[pools]]") into a vector member: `read_one` reads one
// table (given the parent, for inherited values). An item that is not a table
// leaves a default element, already reported, so indexes match the file.
template <class T, class E>
Key<T> tables(std::string_view name, std::string_view header, std::vector<E> T::*member,
              E (*read_one)(TableReader&, const T& parent)) {
  return {name, [header, member, read_one](TableReader& t, std::string_view k, T& out) {
            const auto items = t.tables(k);
            for (std::size_t i = 0; i < items.size(); ++i) {
              if (!items[i]) {
                (out.*member).emplace_back();
                continue;
              }
              TableReader item{*t.state(), *items[i], t.key(std::string{k} + "[" + std::to_string(i) + "]"),
                               std::string{header}};
              E element = read_one(item, out);
              (out.*member).push_back(std::move(element));
            }
          }};
}

// A sub-table whose keys read into the same object (an [x.y] grouping of x's fields).
template <class T>
Key<T> section(std::string_view name, std::string_view header, const Keys<T>& keys) {
  return {name, [header, &keys](TableReader& t, std::string_view k, T& out) {
            const toml::table* table = t.table(k);
            if (!table) return;
            TableReader sub{*t.state(), *table, t.key(k), std::string{header}};
            read_keys(sub, keys, out);
          }};
}

// A key of another type's Keys, read into the part of T that `part` selects
// (a site's root application shares its keys with [[sites.applications]]).
template <class T, class P>
Key<T> on_part(const Key<P>& key, P& (*part)(T&)) {
  return {key.name, [read = key.read, part](TableReader& t, std::string_view k, T& out) { read(t, k, part(out)); },
          key.required};
}

}  // namespace gatehouse::config

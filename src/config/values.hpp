// Parsers for the scalar value syntaxes of the configuration file (durations,
// bindings, umasks, URL paths, account names). Pure: text in, value or reason out.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "config/model.hpp"

namespace gatehouse::config {

// On failure the string says what was expected: "expected ..., got ...".
template <class T>
using Parsed = std::expected<T, std::string>;

// "90s", "5m", "1h", "2000ms". Sub-second values are rejected: every timeout
// the server applies has a one-second resolution, as IIS's do.
Parsed<Seconds> parse_duration(std::string_view text);

// "http://IP:PORT:HOST": IP is "*", dotted IPv4 or bracketed IPv6; HOST is "*"
// or a host name (lower-cased). Binding::ip holds IPv6 without brackets.
Parsed<Binding> parse_binding(std::string_view text);

// An octal string ("007", "0027") of at most 0777.
Parsed<unsigned> parse_umask(std::string_view text);

Parsed<StderrMode> parse_stderr_mode(std::string_view text);
std::string_view to_string(StderrMode mode);

// A size: "512M", "1G", "65536", "64K" (K, M, G are powers of 1024).
Parsed<std::uint64_t> parse_size(std::string_view text);

// An application or virtual directory path: "/blog", "/a/b"; not "/", no
// trailing slash, no empty, "." or ".." segment, no backslash, '%', '?', '#'
// or control character (the router compares decoded paths with these).
Parsed<std::string> parse_url_path(std::string_view text);

// "ApplicationPoolIdentity" or a Linux account name.
Parsed<std::string> parse_identity(std::string_view text);

// A Linux account name: [a-z_][a-z0-9_-]*, at most 32 characters.
bool is_account_name(std::string_view text);

// An absolute path in the form paths are compared in: lexically normal, no
// trailing '/' ("/srv/a/../b/" -> "/srv/b").
Path clean_path(std::string_view text);

// `text` quoted for messages: "\"90\"".
std::string in_quotes(std::string_view text);

}  // namespace gatehouse::config

// Parsers for durations, bindings, umasks, URL paths and identities.
#include "config/values.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <limits>

namespace gatehouse::config {
namespace {

constexpr std::string_view kDurationHint = "expected a duration with a unit (\"90s\", \"5m\", \"1h\", \"2000ms\")";

bool parse_number(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

bool is_host_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Host header names as IIS compares them: case-insensitive, so lower-cased.
Parsed<std::string> parse_host(std::string_view text) {
  if (text == "*") return std::string{text};
  std::string host;
  for (char c : text) host += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  bool ok = !host.empty() && host.size() <= 253 && host.front() != '.' && host.front() != '-' && host.back() != '.' &&
            host.find("..") == std::string::npos;
  for (char c : host) ok = ok && is_host_char(c);
  if (!ok) return std::unexpected("expected a host name or \"*\" after the port, got " + in_quotes(text));
  return host;
}

Parsed<std::string> parse_ip(std::string_view text) {
  if (text == "*") return std::string{text};
  std::array<char, INET6_ADDRSTRLEN> buf{};
  std::array<unsigned char, 16> addr{};
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    std::string inner{text.substr(1, text.size() - 2)};
    if (inet_pton(AF_INET6, inner.c_str(), addr.data()) == 1 &&
        inet_ntop(AF_INET6, addr.data(), buf.data(), buf.size()) != nullptr)
      return std::string{buf.data()};
  } else {
    std::string ip{text};
    if (inet_pton(AF_INET, ip.c_str(), addr.data()) == 1) return ip;
  }
  return std::unexpected("expected \"*\", an IPv4 address or a bracketed IPv6 address, got " + in_quotes(text));
}

}  // namespace

Path clean_path(std::string_view text) {
  Path p = Path{text}.lexically_normal();
  if (p.has_relative_path() && !p.has_filename()) p = p.parent_path();
  return p;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string{text} + "\""; }

Parsed<Seconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::uint64_t n = 0;
  if (!parse_number(text.substr(0, digits), n))
    return std::unexpected(std::string{kDurationHint} + ", got " + in_quotes(text));
  const std::string_view unit = text.substr(digits);
  constexpr std::uint64_t kMax = 100ULL * 365 * 24 * 3600;  // a century: beyond is a typo
  std::uint64_t seconds = 0;
  if (unit == "ms") {
    if (n % 1000 != 0)
      return std::unexpected("expected a whole number of seconds (timeouts have a one-second resolution), got " +
                             in_quotes(text));
    seconds = n / 1000;
  } else if (unit == "s") {
    seconds = n;
  } else if (unit == "m") {
    seconds = n <= kMax / 60 ? n * 60 : kMax + 1;
  } else if (unit == "h") {
    seconds = n <= kMax / 3600 ? n * 3600 : kMax + 1;
  } else {
    return std::unexpected(std::string{kDurationHint} + ", got " + in_quotes(text));
  }
  if (seconds > kMax) return std::unexpected("expected a duration of at most 100 years, got " + in_quotes(text));
  return Seconds{static_cast<Seconds::rep>(seconds)};
}

Parsed<Binding> parse_binding(std::string_view text) {
  const std::string hint =
      "expected \"http://IP:PORT:HOST\" or \"https://IP:PORT:HOST\" (\"*\" for any IP or host), got " + in_quotes(text);
  const std::string_view scheme = text.starts_with("https://") ? "https" : "http";
  if (!text.starts_with(std::string{scheme} + "://")) {
    if (text.find("://") != std::string_view::npos)
      return std::unexpected("expected scheme \"http\" or \"https\", got " + in_quotes(text));
    return std::unexpected(hint);
  }
  std::string_view rest = text.substr(scheme.size() + 3);
  // The IP part ends at the first ':' after a possible bracketed IPv6 address.
  std::size_t ip_end = rest.starts_with('[') ? rest.find(']') : rest.find(':');
  if (ip_end == std::string_view::npos) return std::unexpected(hint);
  if (rest.starts_with('[')) ++ip_end;
  if (ip_end >= rest.size() || rest[ip_end] != ':') return std::unexpected(hint);
  const std::string_view ip_text = rest.substr(0, ip_end);
  rest = rest.substr(ip_end + 1);
  const std::size_t port_end = rest.find(':');
  if (port_end == std::string_view::npos) return std::unexpected(hint);
  const std::string_view port_text = rest.substr(0, port_end);
  const std::string_view host_text = rest.substr(port_end + 1);

  auto ip = parse_ip(ip_text);
  if (!ip) return std::unexpected(ip.error());
  std::uint64_t port = 0;
  if (!parse_number(port_text, port) || port < 1 || port > 65535)
    return std::unexpected("expected a port from 1 to 65535, got " + in_quotes(port_text));
  auto host = parse_host(host_text);
  if (!host) return std::unexpected(host.error());
  Binding binding;
  binding.scheme = scheme;
  binding.ip = *ip;
  binding.port = static_cast<std::uint16_t>(port);
  binding.host = *host;
  binding.text = text;
  return binding;
}

Parsed<unsigned> parse_umask(std::string_view text) {
  unsigned value = 0;
  bool ok = !text.empty() && text.size() <= 4;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '7';
    value = value * 8 + static_cast<unsigned>(c - '0');
  }
  if (!ok || value > 0777)
    return std::unexpected("expected an octal umask from \"000\" to \"777\", got " + in_quotes(text));
  return value;
}

Parsed<StderrMode> parse_stderr_mode(std::string_view text) {
  for (auto mode : {StderrMode::ReturnStdErrIn500, StderrMode::ReturnGeneric500, StderrMode::IgnoreAndReturn200,
                    StderrMode::TerminateProcess})
    if (text == to_string(mode)) return mode;
  return std::unexpected(
      "expected one of ReturnStdErrIn500, ReturnGeneric500, IgnoreAndReturn200, TerminateProcess, got " +
      in_quotes(text));
}

std::string_view to_string(StderrMode mode) {
  switch (mode) {
    case StderrMode::ReturnStdErrIn500:
      return "ReturnStdErrIn500";
    case StderrMode::ReturnGeneric500:
      return "ReturnGeneric500";
    case StderrMode::IgnoreAndReturn200:
      return "IgnoreAndReturn200";
    case StderrMode::TerminateProcess:
      return "TerminateProcess";
  }
  return "?";
}

Parsed<std::string> parse_url_path(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return std::unexpected("expected a URL path like \"/blog\" (" + std::string{why} + "), got " + in_quotes(text));
  };
  if (!text.starts_with('/')) return fail("starting with '/'");
  if (text == "/") return fail("not \"/\", which is the site itself");
  if (text.ends_with('/')) return fail("no trailing '/'");
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '%' || c == '?' || c == '#')
      return fail("no backslash, '%', '?', '#' or control character");
  std::size_t start = 1;
  while (start <= text.size()) {
    std::size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view segment = text.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return fail("no empty, \".\" or \"..\" segment");
    start = end + 1;
  }
  return std::string{text};
}

bool is_account_name(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  if (!((text[0] >= 'a' && text[0] <= 'z') || text[0] == '_')) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

Parsed<std::string> parse_identity(std::string_view text) {
  if (text == "ApplicationPoolIdentity" || is_account_name(text)) return std::string{text};
  return std::unexpected(
      "expected \"ApplicationPoolIdentity\" or a Linux account name ([a-z_][a-z0-9_-]*, at most 32), got " +
      in_quotes(text));
}

Parsed<std::uint64_t> parse_size(std::string_view text) {
  const std::string expected = "expected a size like \"512M\", \"1G\" or a number of bytes, got " + in_quotes(text);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::unexpected(expected);
  std::string_view unit(end, text.data() + text.size() - end);
  int shift = 0;
  if (unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (!unit.empty())
    return std::unexpected(expected);
  if (value > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::unexpected(expected);
  return value << shift;
}

}  // namespace gatehouse::config

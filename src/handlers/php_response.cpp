// Script location in a URL path and the HTTP head built from PHP's CGI head.
#include "handlers/php_response.hpp"

#include <charconv>
#include <cstdio>

namespace gatehouse::handlers {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool ends_with_extension(std::string_view segment, const std::vector<std::string>& extensions) {
  for (const auto& ext : extensions)
    if (segment.size() > ext.size() && iequals(segment.substr(segment.size() - ext.size()), ext)) return true;
  return false;
}

// Headers the server owns: framing and connection management are per hop.
bool server_owned(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Connection") || iequals(name, "Keep-Alive") ||
         iequals(name, "Transfer-Encoding") || iequals(name, "Upgrade") || iequals(name, "Trailer") ||
         iequals(name, "Server") || iequals(name, "Date") || iequals(name, "Status");
}

void add(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

}  // namespace

std::vector<std::size_t> script_candidates(std::string_view url_path, const std::vector<std::string>& extensions) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= url_path.size()) {
    auto slash = url_path.find('/', start);
    auto end = slash == std::string_view::npos ? url_path.size() : slash;
    if (end > start && ends_with_extension(url_path.substr(start, end - start), extensions)) out.push_back(end);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string_view status_reason(unsigned status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 418: return "I'm a teapot";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

bool body_allowed(unsigned status) { return status >= 200 && status != 204 && status != 304; }

std::optional<std::uint64_t> php_content_length(const fastcgi::CgiHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (!iequals(name, "Content-Length")) continue;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc{} && end == value.data() + value.size() && !value.empty()) return n;
    return std::nullopt;
  }
  return std::nullopt;
}

Framing choose_framing(unsigned status, bool head_request, unsigned version, bool complete,
                       std::optional<std::uint64_t> php_length) {
  if (!body_allowed(status)) return Framing::None;
  if (head_request) return php_length ? Framing::Length : Framing::None;
  if (complete || php_length) return Framing::Length;
  return version >= 11 ? Framing::Chunked : Framing::Close;
}

void append_php_head(std::string& out, const fastcgi::CgiHead& head, const HeadOptions& o) {
  auto status = static_cast<unsigned>(head.status);
  std::string_view reason = head.reason.empty() ? status_reason(status) : std::string_view(head.reason);
  out.append("HTTP/1.1 ");
  append_number(out, status);
  out.push_back(' ');
  out.append(reason.empty() ? "Unknown" : reason);
  out.append("\r\nServer: Gatehouse\r\nDate: ").append(o.date).append("\r\n");
  for (const auto& [name, value] : head.headers)
    if (!server_owned(name)) add(out, name, value);
  if (head.location) add(out, "Location", *head.location);
  for (const auto& cookie : head.set_cookies) add(out, "Set-Cookie", cookie);
  if (o.framing == Framing::Length) {
    out.append("Content-Length: ");
    append_number(out, o.length);
    out.append("\r\n");
  } else if (o.framing == Framing::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  bool keep_alive = o.keep_alive && o.framing != Framing::Close;
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (o.version < 11) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size, static_cast<std::size_t>(n)).append(data).append("\r\n");
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace gatehouse::handlers

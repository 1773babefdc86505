// Response head and error page formatting.
#include "http/response.hpp"

#include <fmt/format.h>

#include <charconv>

namespace gatehouse::http {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void begin_head(std::string& out, unsigned status, std::string_view date) {
  out.append("HTTP/1.1 ");
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, end);
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nServer: Gatehouse\r\nDate: ");
  out.append(date);
  out.append("\r\n");
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void add_header(std::string& out, std::string_view name, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  add_header(out, name, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void end_head(std::string& out, bool keep_alive, unsigned version) {
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (version < 11) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

std::string_view error_page(std::string& scratch, unsigned status, unsigned substatus,
                            std::string_view detail) {
  scratch.clear();
  auto code = substatus ? fmt::format("{}.{}", status, substatus) : fmt::format("{}", status);
  fmt::format_to(std::back_inserter(scratch),
                 "<!DOCTYPE html>\n<html><head><title>{0} {1}</title></head>\n"
                 "<body><h1>{0} - {1}</h1>\n<p>{2}</p>\n<hr><address>Gatehouse</address></body></html>\n",
                 code, reason_phrase(status), detail);
  return scratch;
}

void append_encoded_path(std::string& out, std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace gatehouse::http

// Response head and error page formatting.
#include "http/response.hpp"

#include <fmt/format.h>

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdio>

namespace gatehouse::http {

std::string_view reason_phrase(unsigned status) {
  auto text = boost::beast::http::obsolete_reason(boost::beast::http::int_to_status(status));
  std::string_view view(text.data(), text.size());
  return view.starts_with('<') ? std::string_view("Unknown") : view;  // "<unknown-status>"
}

void begin_head(std::string& out, unsigned status, std::string_view date, std::string_view reason) {
  out.append("HTTP/1.1 ");
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, end);
  out.push_back(' ');
  out.append(reason.empty() ? reason_phrase(status) : reason);
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

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size, static_cast<std::size_t>(n)).append(data).append("\r\n");
}

std::string_view error_page(std::string& scratch, unsigned status, unsigned substatus, std::string_view detail) {
  scratch.clear();
  auto code = substatus ? fmt::format("{}.{}", status, substatus) : fmt::format("{}", status);
  fmt::format_to(std::back_inserter(scratch),
                 "<!DOCTYPE html>\n<html><head><title>{0} {1}</title></head>\n"
                 "<body><h1>{0} - {1}</h1>\n<p>{2}</p>\n<hr><address>Gatehouse</address></body></html>\n",
                 code, reason_phrase(status), detail);
  return scratch;
}

}  // namespace gatehouse::http

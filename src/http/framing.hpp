// How a response travels over HTTP/1.1: its framing, and its head as bytes.
// Pure, so it is tested without sockets; the session writes what it builds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/port.hpp"

namespace gatehouse::http {

enum class Framing {
  None,     // no body: HEAD without a known length, 1xx, 204, 304
  Length,   // Content-Length
  Chunked,  // HTTP/1.1, length unknown when the head leaves
  Close,    // HTTP/1.0, length unknown: the end of the connection ends the body
};

Framing choose_framing(unsigned status, bool head_request, unsigned version, std::optional<std::uint64_t> length);

struct HeadOptions {
  std::string_view date;  // IMF-fixdate
  Framing framing = Framing::None;
  bool keep_alive = true;  // false, or Framing::Close: "Connection: close"
  unsigned version = 11;
};

// Appends the status line, Server, Date, the head's fields, the framing
// field and the connection field, then the blank line.
void append_head(std::string& out, const handlers::ResponseHead& head, const HeadOptions& options);

}  // namespace gatehouse::http

// Log lines that a client or a script cannot forge: control characters in a
// message (a user name with "\n", PHP's stderr) are written escaped, so each
// entry stays one line, as the W3C access log already does for its fields.
#pragma once

#include <spdlog/pattern_formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::log {

// "\n" -> "\\n", "\r" -> "\\r", "\t" -> "\\t", "\\" stays, other bytes below
// 0x20 and 0x7f -> "\\xHH". Bytes from 0x80 up are kept (UTF-8 text).
void append_escaped(std::string& out, std::string_view text);
std::string escaped(std::string_view text);

// The error log's line format: "<ISO 8601 time> <level> <escaped message>".
std::unique_ptr<spdlog::formatter> line_formatter();

}  // namespace gatehouse::log

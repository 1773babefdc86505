// Formatting of response heads and error pages into a reused buffer: faster
// than building a Beast message per response, and all a static server needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

std::string_view reason_phrase(unsigned status);

// "HTTP/1.1 <status> <reason>" plus Server and Date.
void begin_head(std::string& out, unsigned status, std::string_view date);
void add_header(std::string& out, std::string_view name, std::string_view value);
void add_header(std::string& out, std::string_view name, std::uint64_t value);
// Connection header as needed (HTTP/1.0 keep-alive is explicit), then the blank line.
void end_head(std::string& out, bool keep_alive, unsigned version);

// A small HTML page naming the status, and the IIS substatus when there is one.
std::string_view error_page(std::string& scratch, unsigned status, unsigned substatus,
                            std::string_view detail);

// Percent-encodes a decoded path for a Location header (keeps "/" and unreserved bytes).
void append_encoded_path(std::string& out, std::string_view path);

}  // namespace gatehouse::http

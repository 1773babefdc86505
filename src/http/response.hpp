// The one HTTP/1.1 head builder and error page, into a reused buffer: faster
// than building a Beast message per response. Reason phrases are Beast's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

// Beast's phrase for `status`, "Unknown" when it has none.
std::string_view reason_phrase(unsigned status);

// "HTTP/1.1 <status> <reason>" plus Server and Date; `reason` empty: reason_phrase.
void begin_head(std::string& out, unsigned status, std::string_view date, std::string_view reason = {});
void add_header(std::string& out, std::string_view name, std::string_view value);
void add_header(std::string& out, std::string_view name, std::uint64_t value);
// Connection header as needed (HTTP/1.0 keep-alive is explicit), then the blank line.
void end_head(std::string& out, bool keep_alive, unsigned version);

// One chunk of chunked encoding; empty data appends nothing.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// A small HTML page naming the status, and the IIS substatus when there is one.
std::string_view error_page(std::string& scratch, unsigned status, unsigned substatus, std::string_view detail);

}  // namespace gatehouse::http

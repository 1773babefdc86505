// The pure parts of the PHP handler: where the script ends in a URL path, and
// how PHP's CGI head becomes a protocol-neutral response head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/html_escape.hpp"
#include "fastcgi/cgi_head.hpp"
#include "handlers/port.hpp"

namespace gatehouse::handlers {

// End offsets in `url_path` of every segment that ends in one of
// `extensions` (case-insensitive, as IIS maps handlers), in path order. The
// script is the first of them that is an existing regular file; what follows
// it is PATH_INFO. "/a/b.php/x/y" gives {8}; "/uploads/x.jpg/y.php" gives {20}.
std::vector<std::size_t> script_candidates(std::string_view url_path, const std::vector<std::string>& extensions);

// The Content-Length PHP set itself, if any (and if it is a number).
std::optional<std::uint64_t> php_content_length(const fastcgi::CgiHead& head);

// PHP's head as protocol-neutral fields (views into `head`): its own fields
// less those the transport owns (Content-Length, Connection, Keep-Alive,
// Transfer-Encoding, Upgrade, Trailer, Server, Date, Status), then Location
// and every Set-Cookie apart.
void php_head_fields(const fastcgi::CgiHead& head, std::vector<HeaderView>& out);

}  // namespace gatehouse::handlers

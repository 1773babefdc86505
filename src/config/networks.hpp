// Address syntaxes of a farm: trusted_proxies entries ("10.0.0.0/8") and
// phpredis session save paths. Pure: text in, value or reason out.
#pragma once

#include "config/model.hpp"
#include "config/values.hpp"

namespace gatehouse::config {

// "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"; host bits must be zero.
Parsed<IpRange> parse_ip_range(std::string_view text);

// phpredis' session.save_path: one server, "tcp://host:port?k=v&...",
// "tls://...", "unix:///path?k=v", a bare "host:port", or "/path.sock".
// Several comma-separated servers (phpredis spreads keys over them) are
// refused: one store per pool is what the permission plan and audit model.
Parsed<RedisSessionStore> parse_redis_save_path(std::string_view text);

// True when `ip` (text) is loopback or unspecified: an address that names a
// different machine on every node.
bool is_node_local_address(std::string_view ip);

}  // namespace gatehouse::config

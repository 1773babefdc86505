// The loader's farm keys (load_farm.cpp): readers used by the Keys tables of
// [server], [accounts], [[pools]] and the top level, and the farm cross-checks.
#pragma once

#include "config/keys.hpp"
#include "config/reader.hpp"

namespace gatehouse::config {

void read_trusted_proxies(TableReader& t, std::string_view key, Server& server);
void read_pool_uid(TableReader& t, std::string_view key, Pool& pool);
void read_pool_gid(TableReader& t, std::string_view key, Pool& pool);
void read_anonymous_uid(TableReader& t, std::string_view key, Accounts& accounts);
void read_anonymous_gid(TableReader& t, std::string_view key, Accounts& accounts);
void read_front_uid(TableReader& t, std::string_view key, Accounts& accounts);
void read_front_gid(TableReader& t, std::string_view key, Accounts& accounts);

// [node]: `name`, and the [server] keys a node may set for itself
// (node_server_keys, a subset of [server]'s table), read after [server].
void read_node(TableReader& root, std::string_view key, Config& config);
const Keys<Server>& node_server_keys();

// Sites behind a balancer need trusted_proxies and agree per port; pinned
// uids are unique; Redis session stores are locked and not shared.
void check_farm_settings(const Config& config, ReadState& state);
void check_session_stores(const Config& config, ReadState& state);

}  // namespace gatehouse::config

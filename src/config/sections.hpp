// The loader's internal parts: one reader per section of the file, and the
// cross-reference checks that run once every section has been read.
#pragma once

#include "config/load.hpp"
#include "config/reader.hpp"

namespace gatehouse::config {

void read_server(TableReader& root, Server& server);
void read_accounts(TableReader& root, Accounts& accounts);
void read_pools(TableReader& root, std::vector<Pool>& pools);
void read_sites(TableReader& root, std::vector<Site>& sites);

// Names used as pool and site names: letters, digits, '-', '_', '.'.
bool is_object_name(std::string_view name);

// Key prefix of an element in the file: "sites[0]" for the root application
// of site 0, "sites[0].applications[2]" for model application 3.
std::string application_key(std::size_t site, std::size_t app);

// Pool references, duplicate names and bindings, URL paths, environment.
void check_references(const Config& config, ReadState& state);
// Folders and files named by the configuration exist and have the right type;
// reads each pool's php.ini into Pool::ini.
void check_paths(Config& config, ReadState& state, bool must_exist);
// Trees of different pools that overlap (errors, or loud warnings when shared
// on purpose with share_with), and web roots outside their app_root (warnings).
void check_overlaps(const Config& config, ReadState& state);

}  // namespace gatehouse::config

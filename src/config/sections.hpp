// The loader's internal parts: the keys of each section of the file, and the
// cross-reference checks that run once every section has been read.
#pragma once

#include "config/keys.hpp"
#include "config/load.hpp"
#include "config/reader.hpp"

namespace gatehouse::config {

// The top-level keys of the file, each with the Keys of its section.
Key<Config> server_key();    // [server], [server.limits]
Key<Config> accounts_key();  // [accounts]
Key<Config> node_key();      // [node], read after [server], whose keys it overrides
Key<Config> pools_key();     // [[pools]]
Key<Config> sites_key();     // [[sites]]
// `[[header.rewrite]]` rules and front_controller of a site or application.
void read_rewrite(TableReader& t, const std::string& header, const std::vector<std::string>& php_extensions,
                  std::vector<RewriteRule>& rules, std::string& front_controller);

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
// https: certificates and keys named for every https binding, one scheme per
// port; with `must_exist`, the files exist and each key is private (mode 0600).
void check_tls(const Config& config, ReadState& state, bool must_exist);
// Trees of different pools that overlap (errors, or loud warnings when shared
// on purpose with share_with), and web roots outside their app_root (warnings).
void check_overlaps(const Config& config, ReadState& state);

}  // namespace gatehouse::config

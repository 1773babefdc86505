// Loading and validating a configuration file. Errors are exceptions here (and
// only here and in the CLI): a bad configuration stops start-up.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace gatehouse::config {

// One problem in a configuration: "file:line:column: key 'x': expected ..., got ...".
struct Problem {
  SourcePos pos;
  std::string key;      // dotted key path: "pools[1].fastcgi.max_instances"
  std::string message;  // what was expected
  std::string str() const;
};

// Thrown by load_*; carries every problem found (loading goes on after the
// first problem so a user sees them all at once).
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

struct LoadOptions {
  bool check_paths = true;  // physical paths and php.ini must exist
};

Config load_file(const Path& file, const LoadOptions& options = {});
// `source_name` is used in messages in place of a file name.
Config load_string(std::string_view text, const std::string& source_name, const LoadOptions& options = {});

}  // namespace gatehouse::config

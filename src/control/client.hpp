// The CLI's end of the control socket: checks that the socket and the server
// behind it are root's (or the caller's own), sends one line, reads one JSON line.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace gatehouse::control {

enum class ClientFailure { NotRunning, Refused, Broken };

struct ClientError {
  ClientFailure kind;
  std::string message;
};

std::expected<nlohmann::json, ClientError> request(const std::filesystem::path& state_dir, std::string_view line,
                                                   int timeout_seconds = 10);

}  // namespace gatehouse::control

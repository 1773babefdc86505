// One request over the control socket, trusting only root's or our own.
#include "control/client.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.hpp"
#include "control/socket.hpp"

namespace gatehouse::control {

std::expected<nlohmann::json, ClientError> request(const std::filesystem::path& state_dir, std::string_view line,
                                                   int timeout_seconds) {
  auto fail = [](ClientFailure kind, std::string message) {
    return std::unexpected(ClientError{kind, std::move(message)});
  };
  const auto path = socket_path(state_dir);
  struct stat st {};
  auto hint = [](int e) { return e == EACCES ? " (the control socket is root's: run as root)" : ""; };
  if (::lstat(path.c_str(), &st) != 0) {
    int e = errno;
    return fail(e == ENOENT || e == ENOTDIR ? ClientFailure::NotRunning : ClientFailure::Refused,
                fmt::format("{}: {}{}", path.string(), std::strerror(e), hint(e)));
  }
  if (!S_ISSOCK(st.st_mode) || !trusted_peer(st.st_uid, ::geteuid()))
    return fail(ClientFailure::Refused,
                fmt::format("{} is not a socket of root or of this account (owner uid {}): not trusted", path.string(),
                            st.st_uid));
  sockaddr_un addr{};
  if (path.native().size() >= sizeof addr.sun_path) return fail(ClientFailure::Broken, path.string() + ": too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(ClientFailure::Broken, std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    return fail(e == ECONNREFUSED || e == ENOENT ? ClientFailure::NotRunning : ClientFailure::Refused,
                fmt::format("{}: {}{}", path.string(), std::strerror(e), hint(e)));
  }
  auto server = peer_uid(fd.get());
  if (!server || !trusted_peer(*server, ::geteuid()))
    return fail(ClientFailure::Refused, "the process behind " + path.string() + " is not root's or ours");
  set_timeouts(fd.get(), timeout_seconds);
  if (auto ok = write_all(fd.get(), std::string(line) + "\n"); !ok)
    return fail(ClientFailure::Broken, ok.error().message());
  auto reply = read_line(fd.get(), 16 << 20);
  if (!reply) return fail(ClientFailure::Broken, reply.error().message());
  auto json = nlohmann::json::parse(*reply, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return fail(ClientFailure::Broken, "unreadable reply");
  return json;
}

}  // namespace gatehouse::control

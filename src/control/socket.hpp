// The control socket's place and the ownership checks both ends make before
// trusting it: <state_dir>/control.sock, a socket owned by root (or by the
// invoking account in single-user mode) in a folder only its owner can write.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace gatehouse::control {

std::filesystem::path socket_path(const std::filesystem::path& state_dir);

// The folder (a link is followed) must be a directory owned by `owner` and not
// writable by group or others; otherwise someone else could swap the socket.
Status check_folder(const std::filesystem::path& dir, uid_t owner);

// True when `uid` may talk to a control socket of a server running as `server`:
// root, or the server's own account.
inline bool trusted_peer(uid_t uid, uid_t server) { return uid == 0 || uid == server; }

// The peer's uid (SO_PEERCRED) of a connected unix socket.
Result<uid_t> peer_uid(int fd);

// Sets a receive and send timeout so that a silent peer cannot hold a thread.
void set_timeouts(int fd, int seconds);

// Reads one line (without '\n'), at most `max` bytes; an error on timeout or EOF first.
Result<std::string> read_line(int fd, std::size_t max);
Status write_all(int fd, std::string_view data);

}  // namespace gatehouse::control

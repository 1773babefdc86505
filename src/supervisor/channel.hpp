// One end of the supervisor <-> front socketpair: sends and receives whole
// messages (protocol.hpp) with their descriptors (SCM_RIGHTS).
#pragma once

#include <chrono>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "supervisor/protocol.hpp"

namespace gatehouse::supervisor {

// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): [0] supervisor, [1] front.
Result<std::pair<UniqueFd, UniqueFd>> make_socketpair();

struct Received {
  Message message;
  std::vector<UniqueFd> fds;
};

class Channel {
 public:
  explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }

  // Sends `message` with `fds` (their number must be fds_of(message.body)). Thread-safe per datagram.
  Status send(const Message& message, const std::vector<int>& fds = {}) const;

  // Waits up to `timeout` (negative: for ever) for one message and decodes it
  // for `reader`. EOF is an error with errnum 0 and op "receive" detail "peer closed".
  // A truncated datagram or descriptor list is refused (EPROTO); descriptors
  // that came with a refused message are closed.
  Result<Received> receive(Reader reader, std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) const;

 private:
  UniqueFd fd_;
};

}  // namespace gatehouse::supervisor

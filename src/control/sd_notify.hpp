// systemd's readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET.
#pragma once

#include <string_view>

namespace gatehouse::control {

// Sends `state` ("READY=1", "STOPPING=1") when started by systemd with
// Type=notify; does nothing otherwise. Returns false when the send failed.
bool sd_notify(std::string_view state);

}  // namespace gatehouse::control

// Replays the appcmd commands of a `perms export --target windows` script into
// the applicationHost.config that IIS would hold after running it, so the
// export can be imported back (the round trip test, and users who kept the
// script but not the server).
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace gatehouse::iis {

// The applicationHost.config text, or the first command it does not know.
std::expected<std::string, std::string> replay_appcmd(std::string_view script);

}  // namespace gatehouse::iis

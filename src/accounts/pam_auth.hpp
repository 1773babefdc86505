// Checking a user name and password against the machine's real accounts
// through PAM (service "gatehouse", /etc/pam.d/gatehouse, installed by make).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "accounts/identity.hpp"
#include "common/error.hpp"

namespace gatehouse::accounts {

inline constexpr std::string_view kPamService = "gatehouse";

// The outcome of a well-formed attempt. Denials are not errors: wrong
// password, unknown user, expired or locked account, a name or password no
// account can have, root. `reason` is for the error log, never the client
// (telling "unknown user" from "wrong password" would help guessing).
struct AuthOutcome {
  bool granted = false;
  Identity identity;  // the account, when granted: what the request runs as
  std::string reason;
};

// Whether `name` can be a Linux account name at all (shadow-utils' rule):
// 1-32 characters of [A-Za-z0-9._-], not starting with '-', optionally ending
// in '$', not only digits, not "." or "..". Looser than is_valid_account_name,
// which is what Gatehouse itself creates.
bool is_login_name(std::string_view name);

// The service's PAM file, /etc/pam.d/<service> (or the vendor directory
// /usr/lib/pam.d). Without it PAM would silently use /etc/pam.d/other, so a
// server with basic authentication enabled calls this at start-up: the error
// (ENOENT) tells the administrator to run `make` as root.
Result<std::filesystem::path> find_pam_service(std::string_view service = kPamService);

// pam_authenticate then pam_acct_mgmt for `user` with `password`, answering
// the password prompt through PAM's conversation; pam_end always runs.
// `remote_address` becomes PAM_RHOST (modules log it). PAM's own fail delay
// is switched off: FailureThrottle decides delays without holding a thread.
// Errors are failures to check at all (PAM broken, module missing, directory
// service unreachable): op "pam_authenticate"/"pam_acct_mgmt", target user,
// detail pam_strerror. Thread-safe: every call has its own PAM handle, and
// pam_unix is reentrant. BLOCKING (password hashing takes milliseconds, other
// modules may wait on the network): never call it on an I/O thread; post it
// to a thread pool and post the outcome back.
Result<AuthOutcome> authenticate(std::string_view user, std::string_view password, std::string_view remote_address = {},
                                 std::string_view service = kPamService);

// The step after PAM said yes: resolves the account the request will run as
// and refuses uid 0 (a web password must never become root's credentials).
Result<AuthOutcome> admit_account(const std::string& user);

}  // namespace gatehouse::accounts

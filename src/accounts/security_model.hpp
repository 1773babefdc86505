// The security model of design.md as one pure function: which account reads a
// request's static files and which runs its PHP, and why (IIS 7.5 semantics).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "accounts/identity.hpp"
#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::accounts {

// Who performs a request's operations; every field is an account name, to be
// resolved (resolve_identity) and enforced by the kernel, never compared.
struct RequestIdentities {
  std::string request_as;    // the request identity: anonymous account, pool identity or user
  std::string static_as;     // static files (and the PHP script's existence check) are opened as
  std::string php_as;        // PHP's file operations run as; == worker.account
  WorkerKey worker;          // the worker set that runs the PHP
  bool impersonate = false;  // the pool's fastcgi.impersonate
  bool authenticated = false;

  // Human reasons, naming the settings: for `gatehouse check` and explain.
  std::string request_why;      // "anonymous user = IUSR (sites[0]...) -> gh-iusr"
  std::string impersonate_why;  // "fastcgi.impersonate = 1 in /srv/shop/php.ini"
  std::string php_why;          // "... -> PHP runs as the request identity"
};

// The row of design.md's table for a request to `app` of `site`, anonymous
// when `user` is empty, else as the (already authenticated) account `user`.
// Errors (op "authorize"): EACCES when the request needs credentials it does
// not have (anonymous disabled; basic authentication disabled but a user
// given), the caller answers 401; EINVAL when `app` names a pool `config`
// does not have (impossible for a loaded configuration).
Result<RequestIdentities> resolve_request_identities(const config::Config& config, const config::Site& site,
                                                     const config::Application& app,
                                                     std::optional<std::string_view> user);

// Per site and application, the table filled in: "static files read as X,
// PHP runs as Y", with the settings that decide it. For `gatehouse check`.
std::string identity_table(const config::Config& config);

}  // namespace gatehouse::accounts

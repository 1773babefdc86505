// What a request may do once the authentication step has decided: the row of
// design.md's table for it, with the static-file identity resolved, and the
// resolver that gives the pool the account each worker set runs as.
#pragma once

#include <functional>
#include <string>

#include "accounts/identity.hpp"
#include "accounts/security_model.hpp"
#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::accounts {

struct Grant {
  RequestIdentities ids;    // ids.worker is the PHP worker set (pool, account)
  Identity who;             // static files and the PHP script check open as this
  std::string remote_user;  // REMOTE_USER; empty when anonymous
  std::string auth_type;    // AUTH_TYPE: "Basic", or empty when anonymous
};

// (pool, account) to the credentials its workers run as, looked up at each
// call (a removed account is an error, never root). The pool set calls it
// when it makes a worker set and again before each spawn.
using WorkerResolver = std::function<Result<Identity>(const config::Pool&, const std::string& account)>;

// The resolver of a server: `single_user` runs every worker as the server's
// own account (as announced at start-up), otherwise worker_identity().
WorkerResolver worker_resolver(bool single_user);

}  // namespace gatehouse::accounts

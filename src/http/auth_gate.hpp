// The authentication step of every request (IIS's anonymous and Basic
// authentication modules): who the request acts as, decided before routing to
// static files or PHP. Passwords are checked by PAM on a small thread pool,
// never on an I/O thread; failures are slowed down per client address.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>  // before Asio (see design.md)

#include "accounts/basic_auth.hpp"
#include "accounts/grant.hpp"
#include "accounts/identity.hpp"
#include "accounts/pam_auth.hpp"
#include "accounts/security_model.hpp"
#include "accounts/throttle.hpp"
#include "common/error.hpp"
#include "config/model.hpp"
#include "http/request.hpp"

namespace gatehouse::http {

using accounts::Grant;

// The answer of the authentication step.
struct Verdict {
  enum class Kind { Granted, Denied, CheckPassword };
  Kind kind = Kind::Denied;
  const Grant* grant = nullptr;  // Granted: owned by the gate, or by `owned`
  std::unique_ptr<Grant> owned;  // Granted after a password check
  unsigned status = 401;         // Denied: 401.1 bad credentials, 401.2 none accepted, 500
  unsigned substatus = 0;
  std::string_view challenge;              // Denied: WWW-Authenticate value, empty for none
  accounts::BasicCredentials credentials;  // CheckPassword
};

struct AuthGateOptions {
  // Everything runs as the server's own account: no credential switching,
  // workers not dropped to other accounts. Authenticated users are still
  // checked by PAM and reach PHP as REMOTE_USER.
  bool single_user = false;
  accounts::ThrottleOptions throttle;
  unsigned pam_threads = 2;
  // Password checks waiting or running: per client address (beyond it 429),
  // and in all (beyond it 503 at once), so a flood can neither stack delays
  // in parallel nor keep other clients' logins waiting behind it.
  unsigned max_checks_per_address = 4;
  std::size_t max_checks = 64;
  // Checks a password in place of PAM in this process: the sandboxed front
  // asks the root supervisor (issue 9; pam_unix needs root or an exec). Empty: PAM here.
  std::function<Result<accounts::AuthOutcome>(std::string_view user, std::string_view password,
                                              std::string_view remote)>
      authenticate;
  // Looks an account up in place of accounts::resolve_identity (the front
  // answers from what it resolved before its sandbox closed /etc). Empty: the system.
  std::function<Result<accounts::Identity>(const std::string& account)> resolve;
};

class AuthGate;

// One admitted password check, counted against its client address and the
// gate's bound until it is destroyed (it travels with the check).
class CheckSlot {
 public:
  CheckSlot() = default;
  CheckSlot(AuthGate* gate, std::string key) : gate_(gate), key_(std::move(key)) {}
  CheckSlot(CheckSlot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)), key_(std::move(other.key_)) {}
  CheckSlot& operator=(CheckSlot&&) = delete;
  CheckSlot(const CheckSlot&) = delete;
  ~CheckSlot();

 private:
  AuthGate* gate_ = nullptr;
  std::string key_;
};

class AuthGate {
 public:
  // Resolves, once, every account the configuration's anonymous requests act
  // as (static files, PHP workers): an account that does not exist is an
  // error. With Basic authentication anywhere, the PAM service must be
  // installed. `config` must outlive the gate.
  static Result<std::unique_ptr<AuthGate>> create(const config::Config& config, AuthGateOptions options);
  AuthGate(const AuthGate&) = delete;
  AuthGate& operator=(const AuthGate&) = delete;
  ~AuthGate();  // stop()

  // Pure and fast: Granted (anonymous), Denied, or CheckPassword when the
  // request carries Basic credentials for an application that accepts them.
  Verdict decide(const config::Site& site, const config::Application& app, const Request& request) const;

  // Who an anonymous request to `app` opens files as; nullptr when anonymous
  // access is off there.
  const accounts::Identity* anonymous_identity(const config::Application& app) const;

  // Admits a password check from `client_ip`, or says why not: 429 (too
  // many from that address at once) or 503 (too many in all).
  struct Admission {
    std::optional<CheckSlot> slot;
    unsigned status = 0;  // when refused
  };
  Admission admit(std::string_view client_ip);
  void release(const std::string& key);  // by ~CheckSlot

  // How long to wait before checking a password from `client_ip` (0
  // mostly): failures count per address, each with the user name it was
  // for, and a success clears only that user's. No delay is kept per user
  // name across addresses: it would let anyone lock a user out. The caller
  // waits with a timer BEFORE calling check_password.
  std::chrono::milliseconds delay_for(std::string_view client_ip);

  // Checks `credentials` through PAM on the gate's thread pool; `done` runs
  // on `executor` with Granted (owned) or Denied (401.1, or 500 when PAM
  // itself failed). `site` and `app` must be those given to decide().
  // `alive` expires when the connection ends, and `client_fd` is its socket:
  // a check whose client has gone is dropped without running PAM (`done`
  // still runs, with 503).
  void check_password(boost::asio::any_io_executor executor, const config::Site& site, const config::Application& app,
                      accounts::BasicCredentials credentials, std::string client_ip, CheckSlot slot,
                      std::weak_ptr<void> alive, int client_fd, std::move_only_function<void(Verdict)> done);

  // Waits for password checks in flight. Call before the I/O threads'
  // io_contexts are destroyed: their results are posted there.
  void stop();

 private:
  struct AppAccess {
    std::optional<Grant> anonymous;  // nullopt: anonymous access disabled
    bool basic = false;
    std::string challenge;  // WWW-Authenticate for Basic
  };

  AuthGate(const config::Config& config, AuthGateOptions options);
  Status add_application(const config::Site& site, const config::Application& app);
  Result<accounts::Identity> identity_for(const std::string& account);
  Verdict finish_check(const config::Site& site, const config::Application& app,
                       const accounts::BasicCredentials& credentials, const std::string& client_ip);

  const config::Config& config_;
  AuthGateOptions options_;
  std::unordered_map<const config::Application*, AppAccess> apps_;
  std::map<std::string, accounts::Identity, std::less<>> resolved_;  // by account, at start-up
  accounts::FailureThrottle throttle_;
  std::mutex checks_mutex_;
  std::unordered_map<std::string, unsigned> checks_by_address_;
  std::size_t checks_ = 0;
  boost::asio::thread_pool pam_;
  bool stopped_ = false;
};

}  // namespace gatehouse::http

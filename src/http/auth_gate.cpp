// The authentication step: anonymous grants computed once per application at
// start-up, Basic credentials checked by PAM off the I/O threads.
#include "http/auth_gate.hpp"

#include <poll.h>

#include <boost/asio/post.hpp>
#include <cerrno>

#include "accounts/names.hpp"
#include "accounts/pam_auth.hpp"
#include "common/log.hpp"

namespace gatehouse::http {
namespace {

// The client closed its end (or the socket failed): its check would be wasted.
bool client_gone(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

std::optional<std::string_view> authorization(const Request& request) {
  for (const auto& f : request.fields)
    if (f.name == beast_http::field::authorization) return request.field_value(f);
  return std::nullopt;
}

Verdict denied(unsigned status, unsigned substatus, std::string_view challenge = {}) {
  Verdict v;
  v.kind = Verdict::Kind::Denied;
  v.status = status;
  v.substatus = substatus;
  v.challenge = challenge;
  return v;
}

}  // namespace

AuthGate::AuthGate(const config::Config& config, AuthGateOptions options)
    : config_(config), options_(options), throttle_(options.throttle), pam_(options.pam_threads) {}

AuthGate::~AuthGate() { stop(); }

Result<std::unique_ptr<AuthGate>> AuthGate::create(const config::Config& config, AuthGateOptions options) {
  std::unique_ptr<AuthGate> gate(new AuthGate(config, options));
  bool basic_anywhere = false;
  for (const auto& site : config.sites) {
    for (const auto& app : site.applications) {
      if (auto ok = gate->add_application(site, app); !ok) return std::unexpected(ok.error());
      basic_anywhere = basic_anywhere || app.authentication.basic_enabled;
    }
  }
  if (basic_anywhere && !gate->options_.authenticate) {
    if (auto pam = accounts::find_pam_service(); !pam) {
      Error e = pam.error();
      e.detail =
          "Basic authentication is enabled but PAM has no service file for gatehouse: run `make install-pam` as root";
      return std::unexpected(std::move(e));
    }
  }
  return gate;
}

Result<accounts::Identity> AuthGate::identity_for(const std::string& account) {
  if (options_.single_user) return accounts::Identity{};
  if (auto it = resolved_.find(account); it != resolved_.end()) return it->second;
  auto id = options_.resolve ? options_.resolve(account) : accounts::resolve_identity(account);
  if (!id) return std::unexpected(id.error());
  resolved_.emplace(account, *id);
  return *id;
}

Status AuthGate::add_application(const config::Site& site, const config::Application& app) {
  AppAccess access;
  access.basic = app.authentication.basic_enabled;
  if (access.basic)
    access.challenge =
        accounts::basic_challenge(app.authentication.basic_realm.empty() ? site.name : app.authentication.basic_realm);
  auto ids = accounts::resolve_request_identities(config_, site, app, std::nullopt);
  if (!ids && ids.error().errnum != EACCES) return std::unexpected(ids.error());
  if (ids) {
    auto who = identity_for(ids->static_as);
    if (!who) {
      Error e = who.error();
      e.context = "[site " + site.name + "]";
      e.detail = "anonymous requests to " + app.path + " read static files as " + ids->static_as;
      return std::unexpected(std::move(e));
    }
    // The PHP workers' account must exist too, so the first PHP request does not find out.
    if (!options_.single_user) {
      auto creds = identity_for(ids->php_as);
      if (creds && creds->uid == 0)  // a worker must never keep root, whatever the configuration says
        creds = std::unexpected(Error::logic("run worker as", ids->php_as, "uid 0 is refused"));
      if (!creds) {
        Error e = creds.error();
        e.context = "[site " + site.name + "]";
        e.detail = "PHP for " + app.path + " runs as " + ids->php_as;
        return std::unexpected(std::move(e));
      }
    }
    access.anonymous = Grant{std::move(*ids), std::move(*who), {}, {}};
  }
  apps_.emplace(&app, std::move(access));
  return {};
}

const accounts::Identity* AuthGate::anonymous_identity(const config::Application& app) const {
  auto it = apps_.find(&app);
  if (it == apps_.end() || !it->second.anonymous) return nullptr;
  return &it->second.anonymous->who;
}

Verdict AuthGate::decide(const config::Site& site, const config::Application& app, const Request& request) const {
  auto it = apps_.find(&app);
  if (it == apps_.end()) {  // an application of another configuration: refuse rather than guess
    log::error("[site {}] no authentication settings for {}", site.name, app.path);
    return denied(500, 0);
  }
  const AppAccess& access = it->second;
  auto header = authorization(request);
  if (access.basic && header) {
    auto credentials = accounts::parse_basic_authorization(*header);
    if (!credentials) return denied(401, 1, access.challenge);
    Verdict v;
    v.kind = Verdict::Kind::CheckPassword;
    v.credentials = std::move(*credentials);
    return v;
  }
  // Credentials for an application without Basic are ignored, as IIS does.
  if (access.anonymous) {
    Verdict v;
    v.kind = Verdict::Kind::Granted;
    v.grant = &*access.anonymous;
    return v;
  }
  return denied(401, 2, access.challenge);  // IIS: no authentication method accepts the request
}

CheckSlot::~CheckSlot() {
  if (gate_) gate_->release(key_);
}

AuthGate::Admission AuthGate::admit(std::string_view client_ip) {
  auto key = accounts::throttle_key(client_ip);
  std::lock_guard lock(checks_mutex_);
  if (checks_ >= options_.max_checks) return {std::nullopt, 503};
  unsigned& mine = checks_by_address_[key];
  if (mine >= options_.max_checks_per_address) {
    if (mine == 0) checks_by_address_.erase(key);
    return {std::nullopt, 429};
  }
  ++mine;
  ++checks_;
  return {CheckSlot(this, std::move(key)), 0};
}

void AuthGate::release(const std::string& key) {
  std::lock_guard lock(checks_mutex_);
  --checks_;
  if (auto it = checks_by_address_.find(key); it != checks_by_address_.end() && --it->second == 0)
    checks_by_address_.erase(it);
}

std::chrono::milliseconds AuthGate::delay_for(std::string_view client_ip) {
  return throttle_.delay_for(accounts::throttle_key(client_ip));
}

void AuthGate::check_password(boost::asio::any_io_executor executor, const config::Site& site,
                              const config::Application& app, accounts::BasicCredentials credentials,
                              std::string client_ip, CheckSlot slot, std::weak_ptr<void> alive, int client_fd,
                              std::move_only_function<void(Verdict)> done) {
  boost::asio::post(pam_, [this, executor = std::move(executor), &site, &app, credentials = std::move(credentials),
                           client_ip = std::move(client_ip), slot = std::move(slot), alive = std::move(alive),
                           client_fd, done = std::move(done)]() mutable {
    Verdict v;
    if (auto connection = alive.lock(); !connection || client_gone(client_fd))
      v = denied(503, 0);  // the client left while queued: PAM is not asked
    else
      v = finish_check(site, app, credentials, client_ip);
    { CheckSlot done_with = std::move(slot); }  // released before the answer, so a retry is admitted
    boost::asio::post(executor, [v = std::move(v), done = std::move(done)]() mutable { done(std::move(v)); });
  });
}

// Runs on the PAM thread pool.
Verdict AuthGate::finish_check(const config::Site& site, const config::Application& app,
                               const accounts::BasicCredentials& credentials, const std::string& client_ip) {
  const std::string& challenge = apps_.at(&app).challenge;
  const auto key = accounts::throttle_key(client_ip);
  auto outcome = options_.authenticate ? options_.authenticate(credentials.user, credentials.password, client_ip)
                                       : accounts::authenticate(credentials.user, credentials.password, client_ip);
  if (!outcome) {
    log::error("[site {}] cannot check a password: {}", site.name, outcome.error().message());
    return denied(500, 0);
  }
  if (!outcome->granted) {
    throttle_.record_failure(key, credentials.user);
    log::warn("[site {}] Basic authentication failed for user {} from {}: {}", site.name, credentials.user, client_ip,
              outcome->reason);
    return denied(401, 1, challenge);
  }
  throttle_.record_success(key, credentials.user);
  auto ids = accounts::resolve_request_identities(config_, site, app, outcome->identity.name);
  if (!ids) {
    log::error("{}", ids.error().message());
    return denied(500, 0);
  }
  const auto& id = outcome->identity;
  auto grant = std::make_unique<Grant>();
  grant->ids = std::move(*ids);
  if (!options_.single_user) grant->who = id;
  grant->remote_user = id.name;
  grant->auth_type = "Basic";
  Verdict v;
  v.kind = Verdict::Kind::Granted;
  v.grant = grant.get();
  v.owned = std::move(grant);
  return v;
}

void AuthGate::stop() {
  if (stopped_) return;
  stopped_ = true;
  pam_.join();
}

}  // namespace gatehouse::http

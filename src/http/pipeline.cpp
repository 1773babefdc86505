// The shared request path (pipeline.hpp), in IIS's order: binding, redirect,
// URL, rewrite + request filtering, authentication, handler.
#include "http/pipeline.hpp"

#include <cctype>
#include <cstring>

#include "common/log.hpp"
#include "handlers/php_handler.hpp"
#include "http/path.hpp"
#include "http/request_filter.hpp"
#include "http/rewriting.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

using Steady = std::chrono::steady_clock;

const accounts::Identity kAsServer;  // no gate: the server's own account

bool is_host_text(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return false;
  return true;
}

}  // namespace

Pipeline::Pipeline(Worker& worker, Exchange& exchange, boost::asio::any_io_executor executor)
    : worker_(worker), x_(exchange), auth_timer_(std::move(executor)) {}

Pipeline::~Pipeline() = default;

void Pipeline::reset(View& view) {
  if (view_ != &view) {  // a reload: the last handler (done) may refer to the old view's PHP routing
    handler_.reset();
    view_ = &view;
  }
  canonical_.clear();
  log_slot_ = view.unrouted_slot();
  site_ = nullptr;
  scripts_allowed_ = true;
  deferred_site_ = nullptr;
  grant_ = nullptr;
  user_grant_.reset();
}

void Pipeline::run(std::string_view host, std::string_view path) {
  const SiteRoutes* site = view_->snapshot().router.find_site(x_.local_address(), x_.peer().local_port, host);
  if (!site) return x_.error_response(400, 0, "Invalid Hostname.", true);
  log_slot_ = site->index;
  site_ = site->site;
  if (redirect_to_https(*site, path)) return;
  auto canonical = canonicalize_path(path);
  if (!canonical) {
    set_canonical(path);
    return x_.error_response(canonical.error().status, canonical.error().substatus, canonical.error().reason, true);
  }
  canonical_ = std::move(*canonical);
  auto match = handlers::find_mount(*site, canonical_);
  if (match.mount && match.mount->application && !apply_rules(*site, match)) return;
  if (!authorize(*site, match)) return;
  dispatch(*site, match);
}

void Pipeline::resume() {
  const SiteRoutes& site = *std::exchange(deferred_site_, nullptr);
  answer_static(site, handlers::find_mount(site, canonical_));
}

bool Pipeline::redirect_to_https(const SiteRoutes& site, std::string_view path) {
  const config::Site& s = *site.site;
  if (x_.tls() || !s.tls.redirect_to_https) return false;
  // ACME http-01 challenges must stay on plain http (certificate renewal).
  if (path.starts_with("/.well-known/acme-challenge/")) return false;
  // The client's host name when an https binding of the site answers to it,
  // else the https binding's own name: never a name no binding serves.
  std::string_view asked = handlers::host_without_port(x_.request().host);
  const config::Binding* to = nullptr;
  for (const auto& b : s.bindings)
    if (b.https() && (b.host == "*" || b.host == asked)) {
      to = &b;
      break;
    }
  if (!to)
    for (const auto& b : s.bindings)
      if (b.https()) {
        to = &b;
        break;
      }
  std::string host(to->host != "*" ? std::string_view(to->host) : asked);
  if (!is_host_text(host)) host = x_.peer().local_ip;
  std::string location = "https://" + host;
  if (to->port != 443) location += ":" + std::to_string(to->port);
  location += path;
  if (auto query = x_.request().query(); !query.empty()) location += "?" + std::string(query);
  x_.redirect_response(301, location);
  return true;
}

bool Pipeline::apply_rules(const SiteRoutes& site, MountMatch& match) {
  auto filtered = [&](const config::Application& app) {
    auto decision = filter_request(*site.site, app, canonical_);
    if (!decision.allowed) {
      log::info("[site {}] {}: refused by request filtering: {}", site.site->name, canonical_, decision.reason);
      x_.error_response(404, static_cast<unsigned>(decision.substatus), "The request was refused by request filtering.",
                        false);
      return false;
    }
    scripts_allowed_ = decision.scripts;
    return true;
  };
  const auto& rules = view_->snapshot().router.rewrite_rules(site, *match.mount->application);
  if (!rules.empty()) {
    // As IIS, request filtering sees the URL the client sent before the
    // rewrite rules do (/DATA/x must not reach a front controller), and the
    // rewritten URL again below.
    if (!filtered(*match.mount->application)) return false;
    // IsFile / IsDirectory are probed as an anonymous request would read files.
    const accounts::Identity* who =
        view_->snapshot().gate ? view_->snapshot().gate->anonymous_identity(*match.mount->application) : nullptr;
    auto outcome = run_rewrite(rules, site, x_.request(), x_.peer(), canonical_, who ? *who : kAsServer);
    if (!outcome) {
      log::error("[site {}] {}: rewrite failed: {}", site.site->name, canonical_, outcome.error().message());
      x_.error_response(500, 0, "The URL could not be rewritten.", false);
      return false;
    }
    if (const auto* r = std::get_if<rewrite::Rewritten>(&*outcome)) {
      // The new URL goes through everything a request target does (a rule can
      // never reach outside the site, un-hide a segment or make a file a script).
      auto again = canonicalize_path(r->path);
      if (!again) {
        x_.error_response(again.error().status, again.error().substatus, again.error().reason, false);
        return false;
      }
      canonical_ = std::move(*again);
      x_.head().rewritten = true;
      x_.head().rewritten_query = r->query;
      match = handlers::find_mount(site, canonical_);
      if (!match.mount || !match.mount->application) {
        x_.error_response(500, 0, "The request has no application.", false);
        return false;
      }
    } else if (const auto* to = std::get_if<rewrite::Redirect>(&*outcome)) {
      x_.redirect_response(to->status, to->location);
      return false;
    } else if (const auto* custom = std::get_if<rewrite::CustomResponse>(&*outcome)) {
      x_.error_response(
          custom->status, custom->substatus,
          custom->description.empty() ? "The request was answered by a rewrite rule." : custom->description, false);
      return false;
    } else if (std::holds_alternative<rewrite::Abort>(*outcome)) {
      log::info("[site {}] {}: closed by rewrite rule {}", site.site->name, canonical_,
                std::get<rewrite::Abort>(*outcome).rule);
      x_.abort();  // IIS AbortRequest: no response at all
      return false;
    }
  }
  return filtered(*match.mount->application);
}

void Pipeline::refuse_script() {
  // Scripts do not run here (handler policy scripts = false): never sent as
  // source either. IIS answers 404 and logs 403.1, execute access denied.
  x_.log_as(403, 1);
  x_.error_response(404, 0, "The resource cannot be found.", false);
}

void Pipeline::dispatch(const SiteRoutes& site, const MountMatch& match) {
  if (handlers::names_script(canonical_, site.site->php_extensions))
    return scripts_allowed_ ? answer_script(site) : refuse_script();
  if (!x_.body_complete()) {
    deferred_site_ = &site;  // answered once the body is drained (resume)
    return x_.drain_body();
  }
  answer_static(site, match);
}

bool Pipeline::authorize(const SiteRoutes& site, const MountMatch& match) {
  AuthGate* gate = view_->snapshot().gate;
  if (!gate) return true;
  if (!match.mount || !match.mount->application) {
    x_.error_response(500, 0, "The request has no application.", false);
    return false;
  }
  const config::Application& app = *match.mount->application;
  Verdict verdict = gate->decide(*site.site, app, x_.request());
  if (verdict.kind != Verdict::Kind::CheckPassword) return admit(verdict);
  auto admission = gate->admit(x_.peer().remote_ip);
  if (!admission.slot) {
    x_.error_response(admission.status, 0,
                      admission.status == 429 ? "Too many password checks from this address at once."
                                              : "The server is busy checking passwords; try again shortly.",
                      false);
    return false;
  }
  // Wait out the throttle first, so a guesser learns nothing sooner; the
  // connection's deadline covers the wait and the check.
  auth_site_ = &site;
  auth_match_ = match;
  auto delay = gate->delay_for(x_.peer().remote_ip);
  x_.set_deadline(Steady::now() + delay + x_.limits().header_timeout);
  auth_timer_.expires_after(delay);
  auth_timer_.async_wait([this, alive = std::weak_ptr<void>(alive_), gate, credentials = std::move(verdict.credentials),
                          slot = std::move(*admission.slot)](boost::system::error_code) mutable {
    if (alive.expired()) return;  // the stream or session is gone
    if (!x_.open()) return x_.abort();
    gate->check_password(auth_timer_.get_executor(), *auth_site_->site, *auth_match_.mount->application,
                         std::move(credentials), x_.peer().remote_ip, std::move(slot), alive_, x_.client_fd(),
                         [this, alive](Verdict v) {
                           if (!alive.expired()) on_verdict(std::move(v));
                         });
  });
  return false;
}

void Pipeline::on_verdict(Verdict verdict) {
  if (!x_.open()) return x_.abort();  // closed by its deadline or a stop meanwhile
  if (admit(verdict)) dispatch(*auth_site_, auth_match_);
}

bool Pipeline::admit(Verdict& verdict) {
  if (verdict.kind == Verdict::Kind::Granted) {
    user_grant_ = std::move(verdict.owned);
    grant_ = verdict.grant;
    return true;
  }
  if (verdict.status == 500)
    x_.error_response(500, 0, "The credentials could not be checked.", false);
  else
    x_.error_response(verdict.status, verdict.substatus, "Access is denied: valid credentials are required.", false,
                      {"WWW-Authenticate", verdict.challenge});
  return false;
}

void Pipeline::answer_static(const SiteRoutes& site, const MountMatch& match) {
  auto answer = handlers::serve_static(x_.request(), canonical_, match, *site.site, grant_ ? grant_->who : kAsServer,
                                       worker_.file_cache());
  switch (answer.kind) {
    case handlers::StaticAnswer::Kind::Script:
      if (!scripts_allowed_) return refuse_script();
      canonical_ = std::move(answer.target);
      return answer_script(site);
    case handlers::StaticAnswer::Kind::Error:
      x_.note_win32(answer.win32);
      if (answer.status == 405)
        return x_.error_response(405, 0, "Static files answer GET and HEAD only.", false, {"Allow", answer.allow});
      if (answer.status == 500)
        log::error("[site {}] open {} failed: {}", site.site->name,
                   (match.mount->root.path() / std::string(match.relative)).string(), std::strerror(answer.win32));
      return x_.error_response(answer.status, answer.substatus, "The resource cannot be served.", false);
    case handlers::StaticAnswer::Kind::Response:
      return x_.send_static(answer);
  }
}

void Pipeline::answer_script(const SiteRoutes& site) {
  // Without a pool set (unit tests of the static side) scripts are refused
  // like IIS refuses an extension without a handler, and never sent as text.
  handlers::PhpRouting* php = view_->php();
  if (!php) return x_.error_response(404, 3, "No handler is configured for scripts.", false);
  auto handler = std::make_unique<handlers::PhpHandler>(x_, *php);
  auto* raw = handler.get();
  handler_ = std::move(handler);
  raw->start(site, canonical_, grant_);
}

AccessRecord Pipeline::record(std::chrono::steady_clock::duration took) const {
  const auto& request = x_.request();
  const auto& peer = x_.peer();
  AccessRecord r;
  r.date_time = worker_.clock().w3c_date_time();
  r.server_ip = peer.local_ip;
  r.method = request.method_text;
  r.uri_stem = canonical_;
  r.uri_query = request.query().substr(0, 2048);
  r.server_port = peer.local_port;
  if (grant_) r.username = grant_->remote_user;
  r.client_ip = peer.remote_ip;
  r.user_agent = request.user_agent;
  r.referer = request.referer;
  r.time_taken_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  r.bytes_received = request.body_bytes;
  r.took = took;
  return r;
}

}  // namespace gatehouse::http

// One PHP request on a session: checks the script exists (as the request
// identity), acquires a worker from the pool set, streams the request body to
// it and its output back to the client, and enforces IIS's request_timeout,
// activity_timeout and stderr_mode.
#pragma once

#include <utility>  // before Asio (see design.md)

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "accounts/security_model.hpp"
#include "config/model.hpp"
#include "fastcgi/cgi_head.hpp"
#include "fastcgi/client.hpp"
#include "handlers/php_response.hpp"
#include "handlers/static_file.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::http {

class Session;
using SteadyTime = std::chrono::steady_clock::time_point;

// Per I/O thread: the pool set, the worker set of each (pool, account) and,
// per application, the identities of an anonymous request when no
// authentication gate decides them (both follow from the configuration, so
// they are resolved once, not per request).
class PhpRouting {
 public:
  PhpRouting(const config::Config& config, pool::PoolSet& pools) : config_(config), pools_(pools) {}

  const config::Config& config() const { return config_; }
  // Errors: the pool set cannot make the worker set (unknown pool or account).
  Result<pool::WorkerPool*> workers(const accounts::WorkerKey& key);
  Result<const accounts::RequestIdentities*> anonymous(const config::Site& site, const config::Application& app);

  // Scripts found (regular files, opened as `who`) less than kScriptMemory
  // ago: a burst of requests for one script costs one open under switched
  // credentials, not one each, and a change on disk is seen within that
  // time, as with the static file cache.
  static constexpr std::chrono::milliseconds kScriptMemory{250};
  bool script_found_recently(const handlers::RootDir& root, std::string_view relative,
                             const handlers::RequestIdentity& who, SteadyTime now);
  void remember_script(const handlers::RootDir& root, std::string_view relative, const handlers::RequestIdentity& who,
                       SteadyTime now);

 private:
  std::string_view script_key(const handlers::RootDir& root, std::string_view relative,
                              const handlers::RequestIdentity& who);

  const config::Config& config_;
  pool::PoolSet& pools_;
  std::map<accounts::WorkerKey, pool::WorkerPool*> workers_;
  std::map<const config::Application*, accounts::RequestIdentities> anonymous_;
  std::map<std::string, SteadyTime, std::less<>> scripts_;
  std::string key_;
};

class PhpExchange final : public BodySink {
 public:
  explicit PhpExchange(Session& session) : s_(session) {}
  PhpExchange(const PhpExchange&) = delete;
  PhpExchange& operator=(const PhpExchange&) = delete;
  ~PhpExchange() override;

  // `url_path` is the canonical path naming the script (maybe with PATH_INFO).
  void start(const SiteRoutes& site, std::string_view url_path, const handlers::RequestIdentity& who);

  // The session's parser needs more body bytes, or has them all.
  void body_wanted();
  void on_body(std::string_view chunk) override { stdin_.append(chunk); }

  // The worker's tick found the session's deadline passed. True when the
  // exchange handled it (a PHP timeout: the worker is killed, 500).
  bool on_deadline();
  // The session wants to end (client gone). True when it may be deleted now;
  // otherwise the exchange calls Session::destroy again once its I/O ended.
  bool may_destroy();

  bool in_body() const { return stage_ == Stage::Body; }

 private:
  enum class Stage { Resolve, Acquire, Begin, Body, Output, Done };

  Status resolve_script(const SiteRoutes& site, std::string_view url_path, const handlers::RequestIdentity& who);
  Result<std::vector<fastcgi::NameValue>> params(const SiteRoutes& site);
  Status route_to_pool(const SiteRoutes& site);
  void php_failed(boost::system::error_code ec);
  void on_acquired(pool::AcquireResult result);
  void on_begun(boost::system::error_code ec);
  void write_stdin();
  void end_stdin();
  void read_output();
  void on_output(boost::system::error_code ec, const fastcgi::Output& out);
  void on_stdout(fastcgi::ByteSpan data);
  void on_stderr(fastcgi::ByteSpan data);
  void on_end();
  void emit_head(bool complete);
  void send_out(bool last);
  void wait_writable(bool last);
  void answer_now(unsigned status, unsigned substatus, std::string_view detail);
  void end_lease(pool::LeaseEnd how);
  void finish();
  void set_php_deadline();
  std::string ctx() const;

  Session& s_;
  Stage stage_ = Stage::Resolve;
  const config::Pool* pool_ = nullptr;
  const accounts::RequestIdentities* ids_ = nullptr;
  std::string script_url_, script_file_, path_info_, document_root_;
  pool::Lease lease_;
  std::optional<fastcgi::Connection> conn_;
  std::vector<fastcgi::NameValue> params_;
  std::string stdin_;  // body bytes between a client read and their STDIN write
  fastcgi::CgiHeadParser head_parser_;
  bool head_parsed_ = false;
  bool head_sent_ = false;
  bool discard_body_ = false;  // HEAD, a status without body, or a 500 replacing the answer
  std::optional<std::uint64_t> php_length_;
  handlers::Framing framing_ = handlers::Framing::None;
  std::optional<std::uint64_t> length_left_;  // with PHP's own Content-Length while streaming
  std::string body_;                          // body held back until the head leaves
  std::string stderr_;
  bool stderr_seen_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;  // the session closed while a pool or worker operation was pending
  bool php_pending_ = false;
  SteadyTime request_deadline_;
  SteadyTime activity_deadline_;
};

}  // namespace gatehouse::http

// One PHP request: checks the script exists (as the request identity),
// acquires a worker from the pool set, streams the request body to it and its
// output back through the Port, and enforces IIS's request_timeout,
// activity_timeout and stderr_mode. It knows nothing of the protocol that
// carries the request.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>  // before Asio (see design.md)
#include <vector>

#include "accounts/grant.hpp"
#include "config/model.hpp"
#include "fastcgi/cgi_head.hpp"
#include "fastcgi/client.hpp"
#include "handlers/body_buffer.hpp"
#include "handlers/php_routing.hpp"
#include "handlers/port.hpp"
#include "handlers/site_map.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::handlers {

class PhpHandler final : public Handler {
 public:
  // `port` (the connection) owns this handler and outlives it.
  PhpHandler(Port& port, PhpRouting& routing) : port_(port), routing_(routing) {}
  PhpHandler(const PhpHandler&) = delete;
  PhpHandler& operator=(const PhpHandler&) = delete;
  ~PhpHandler() override;

  // `url_path` is the canonical path naming the script (maybe with PATH_INFO);
  // `grant` is who the request acts as (nullptr: the server's own account).
  void start(const SiteRoutes& site, std::string_view url_path, const accounts::Grant* grant);

  bool on_deadline() override;
  bool may_destroy() override;

 private:
  enum class Stage { Resolve, Buffer, Acquire, Begin, Body, Output, Done };

  Status resolve_script(const SiteRoutes& site, std::string_view url_path, const accounts::Identity& who);
  Status route_to_pool(const SiteRoutes& site);
  Result<std::vector<fastcgi::NameValue>> params(const SiteRoutes& site);
  void on_buffered(std::string_view chunk);
  void acquire(const SiteRoutes& site);
  void on_acquired(pool::AcquireResult result);
  void on_begun(boost::system::error_code ec);
  void write_stdin();
  void end_stdin();
  void read_output();
  void on_stdout(fastcgi::ByteSpan data);
  void on_stderr(fastcgi::ByteSpan data);
  void on_end();
  void emit_head(bool complete);
  void send(std::string_view data, bool last);
  void finish_after_next(const boost::asio::any_io_executor& executor);
  void php_failed(boost::system::error_code ec);
  void answer_now(unsigned status, unsigned substatus, std::string_view detail);
  void end_lease(pool::LeaseEnd how);
  void set_php_deadline();
  std::string ctx() const;

  Port& port_;
  PhpRouting& routing_;
  Stage stage_ = Stage::Resolve;
  const accounts::Grant* grant_ = nullptr;
  const config::Pool* pool_ = nullptr;
  const accounts::RequestIdentities* ids_ = nullptr;
  std::string script_url_, script_file_, path_info_, document_root_;
  pool::Lease lease_;
  std::optional<fastcgi::Connection> conn_;
  std::vector<fastcgi::NameValue> params_;
  const SiteRoutes* site_ = nullptr;
  std::optional<BodyBuffer> body_in_;  // the request body, whole before a worker is taken
  bool has_body_ = false;              // CONTENT_LENGTH is sent (also "0")
  std::uint64_t stdin_sent_ = 0;
  std::string stdin_scratch_;
  fastcgi::CgiHeadParser head_parser_;
  bool head_parsed_ = false;
  bool head_sent_ = false;
  bool discard_body_ = false;  // HEAD, or a status without body
  std::optional<std::uint64_t> php_length_;
  std::string body_;  // body held back until the head leaves
  std::vector<HeaderView> fields_;
  std::string stderr_;
  bool stderr_seen_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;  // the connection closed while a pool or worker operation was pending
  bool php_pending_ = false;
  bool finishing_ = false;  // the last write waits behind the next request's hand-out (finish_after_next)
  SteadyTime request_deadline_;
  SteadyTime activity_deadline_;
};

}  // namespace gatehouse::handlers

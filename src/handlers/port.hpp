// The narrow interface between a handler and the connection that carries its
// request (h2o's generator, Envoy's decoder callbacks): the handler reads the
// body as a stream and writes a protocol-neutral head and body; the
// transport (http/, HTTP/1.1 today) owns framing, keep-alive, timeouts,
// backpressure and the log. A handler never sees a socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "config/model.hpp"
#include "handlers/request.hpp"

namespace gatehouse::handlers {

using SteadyTime = std::chrono::steady_clock::time_point;

struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// False for 1xx, 204 and 304, which never have a body.
inline bool body_allowed(unsigned status) { return status >= 200 && status != 204 && status != 304; }

// A response head as any protocol carries it. The transport adds Date and
// Server, and chooses the framing: Content-Length when `length` is known,
// otherwise chunked (HTTP/1.1) or close-delimited (HTTP/1.0); none for a
// status without a body (1xx, 204, 304).
struct ResponseHead {
  unsigned status = 200;
  std::string_view reason;              // empty: the standard phrase
  std::span<const HeaderView> fields;   // framing and connection fields excluded
  std::optional<std::uint64_t> length;  // nullopt: not known when the head leaves
};

// Runs when written bytes have left (the connection is writable again), or
// when body bytes arrived. Not called when the connection breaks: the
// transport then ends the exchange through Handler::may_destroy.
using WriteDone = std::move_only_function<void()>;
using BodyChunk = std::move_only_function<void(std::string_view chunk)>;

class Port {
 public:
  virtual ~Port() = default;

  virtual const Request& request() const = 0;
  virtual const Peer& peer() const = 0;
  virtual SteadyTime request_start() const = 0;
  virtual const config::Limits& limits() const = 0;

  // The request body, as a stream. `body_length` is the Content-Length, if
  // the request has one. read_body calls `chunk` with the next bytes, or with
  // "" once body_complete(); it must be the handler's last step (a malformed
  // body ends the exchange with a 400 from inside it).
  virtual bool body_complete() const = 0;
  virtual std::optional<std::uint64_t> body_length() const = 0;
  virtual void read_body(BodyChunk chunk) = 0;

  // The response. write_head is buffered and leaves with the next
  // write_body. write_body frames `data` and sends all that is buffered,
  // waiting while the client does not read (for at most body_timeout);
  // `done` runs once it has left. `last`: the response is complete, the
  // transport finishes it (log, next request) and `done` is not called.
  // Must be the handler's last step, like read_body.
  virtual void write_head(const ResponseHead& head) = 0;
  virtual void write_body(std::string_view data, bool last, WriteDone done) = 0;

  // An error page instead of the response (before write_head only). Ends the
  // exchange: the handler's last step.
  virtual void answer_error(unsigned status, unsigned substatus, std::string_view detail) = 0;
  // The response cannot be completed (its head left already, or the client
  // is gone): the connection closes. The handler's last step.
  virtual void abort() = 0;

  // The connection's next deadline; past it the transport asks the handler
  // (Handler::on_deadline) before it closes the connection.
  virtual void set_deadline(SteadyTime when) = 0;
  // The transport's own waits for the client (body reads, a client that does
  // not read) never go past `when` (PHP's request_timeout).
  virtual void cap_waits(SteadyTime when) = 0;
  virtual void keep_alive(bool allowed) = 0;    // false: close after this response
  virtual void note_win32(int error_code) = 0;  // for the access log's sc-win32-status
  // The access log records this status instead of the one sent (IIS logs
  // 403.1 for a script refused in a writable folder that answers 404).
  virtual void log_as(unsigned status, unsigned substatus) = 0;
};

// A handler that outlives one call: an asynchronous exchange (PHP).
class Handler {
 public:
  virtual ~Handler() = default;
  // The connection's deadline passed. True when the handler dealt with it
  // (it ends the exchange itself); false: the transport closes the connection.
  virtual bool on_deadline() = 0;
  // The connection is ending. True when the handler may be deleted now;
  // false when an operation of its own is still pending: it calls
  // Port::abort() again once that operation has ended.
  virtual bool may_destroy() = 0;
};

}  // namespace gatehouse::handlers

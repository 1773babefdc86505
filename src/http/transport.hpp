// What a worker holds per connection, whatever protocol it speaks: an
// HTTP/1.1 Session, or an HTTP/2 connection (h2/) that a Session hands its
// TLS connection to when ALPN chose h2. The worker's tick, drain and stop
// reach every connection through this.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "handlers/request.hpp"
#include "tls/connection.hpp"

namespace gatehouse::http {

class Worker;
using SteadyTime = std::chrono::steady_clock::time_point;

class Transport : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~Transport() = default;
  virtual void start() = 0;
  // The worker's tick: past its deadline, close() runs.
  virtual bool expired(SteadyTime now) const = 0;
  virtual void close() = 0;
  // Stop keeping alive; an idle connection closes now, unless `gentle`.
  virtual void drain(bool gentle) = 0;
};

// Makes the HTTP/2 connection for a TLS connection whose ALPN chose h2 (set
// once, before any worker runs, by whoever links h2/: http does not include it).
using H2Factory =
    std::function<std::unique_ptr<Transport>(Worker& worker, boost::asio::ip::tcp::socket socket,
                                             std::unique_ptr<tls::Connection> tls, const handlers::Peer& peer)>;

}  // namespace gatehouse::http

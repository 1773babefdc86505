// The TLS side of a Session: the handshake, reads and writes through SSL on
// the same non-blocking fd, and the https site settings (HSTS is added in
// write_head; the http->https redirect is here). Without kTLS (the kernel's
// tls module) a file part is read and encrypted 64 KiB at a time.
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cctype>

#include "http/session.hpp"
#include "http/worker.hpp"

namespace gatehouse::http {
namespace {

using Steady = std::chrono::steady_clock;
using tls::Want;

constexpr std::size_t kTlsReadSize = 16 * 1024;  // one TLS record
constexpr std::uint64_t kTlsFileChunk = 64 * 1024;
constexpr std::size_t kSendfileChunk = 1 << 20;

}  // namespace

void Session::tls_handshake() {
  switch (Want want = tls_->handshake()) {
    case Want::None:
      if (tls_->h2() && worker_.h2()) return worker_.hand_over(this, std::move(socket_), std::move(tls_), peer_);
      return begin_request();
    case Want::Read:
    case Want::Write:
      return tls_wait(want, &Session::tls_handshake);
    default:
      return destroy();  // not TLS, an old version, no shared cipher: nothing to answer
  }
}

void Session::tls_wait(Want want, void (Session::*then)()) {
  auto kind = want == Want::Write ? boost::asio::ip::tcp::socket::wait_write : boost::asio::ip::tcp::socket::wait_read;
  socket_.async_wait(kind, [this, then](boost::system::error_code ec) {
    if (ec) return destroy();
    (this->*then)();
  });
}

void Session::tls_read() {
  auto space = buffer_.prepare(kTlsReadSize);
  auto r = tls_->read(space.data(), space.size());
  switch (r.want) {
    case Want::None:
      // Through the io_context: a client that keeps the socket full must not
      // grow this stack (on_read -> parse -> do_read -> tls_read ...).
      return boost::asio::post(socket_.get_executor(), [this, n = r.n] {
        if (!socket_.is_open()) return destroy();
        on_read({}, n);
      });
    case Want::Read:
    case Want::Write:
      return tls_wait(r.want, &Session::tls_read);
    default:
      return on_read(boost::asio::error::eof, 0);
  }
}

bool Session::tls_flush() {
  for (;;) {
    while (out_sent_ < out_.size()) {
      auto r = tls_->write(out_.data() + out_sent_, out_.size() - out_sent_);
      if (r.want == Want::None) {
        out_sent_ += r.n;
        continue;
      }
      if (r.want == Want::Read || r.want == Want::Write) {
        // A reader that stops reading is cut, as in wait_writable.
        deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);
        tls_wait(r.want, &Session::flush);
        return false;
      }
      destroy();
      return false;
    }
    if (file_left_ == 0) return true;
    if (tls_->ktls_send()) {  // the kernel encrypts: file pages go out without a copy
      auto r = tls_->sendfile(file_.fd(), file_offset_, std::min<std::uint64_t>(file_left_, kSendfileChunk));
      if (r.want == Want::Write) {
        deadline_ = std::min(Steady::now() + limits().body_timeout, wait_cap_);
        tls_wait(r.want, &Session::flush);
        return false;
      }
      if (r.want != Want::None || r.n == 0) {
        destroy();
        return false;
      }
      file_offset_ += r.n;
      file_left_ -= r.n;
      continue;
    }
    out_.clear();
    out_sent_ = 0;
    auto part = std::min(file_left_, kTlsFileChunk);
    out_.resize(part);
    auto n = ::pread(file_.fd(), out_.data(), part, static_cast<off_t>(file_offset_));
    if (n != static_cast<ssize_t>(part)) {  // the file shrank: the promised length cannot be sent
      destroy();
      return false;
    }
    file_offset_ += part;
    file_left_ -= part;
  }
}

}  // namespace gatehouse::http

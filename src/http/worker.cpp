// Worker thread: accept loop, deadline sweep, log flushing, drain.
#include "http/worker.hpp"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "common/log.hpp"

namespace gatehouse::http {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

}  // namespace

Worker::Worker(std::shared_ptr<const Snapshot> snapshot) : view_(std::make_shared<View>(snapshot, io_.get_executor())) {
  clock_.update();
}

Worker::~Worker() {
  sessions_.clear_and_dispose([](Transport* s) { delete s; });
}

Status Worker::listen(const ListenAddress& address, const tls::PortContexts* tls) {
  auto acceptor = open_acceptor(address);
  if (!acceptor) return std::unexpected(acceptor.error());
  acceptors_.push_back({address, std::move(*acceptor), tls});
  return {};
}

Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>> Worker::open_acceptor(const ListenAddress& address) {
  namespace ip = boost::asio::ip;
  ip::tcp::endpoint endpoint(address.ip, address.port);
  auto owned = std::make_unique<ip::tcp::acceptor>(io_);
  auto& acceptor = *owned;
  boost::system::error_code ec;
  auto target = fmt::format("{}:{}", address.ip.is_v6() ? "[" + address.ip.to_string() + "]" : address.ip.to_string(),
                            address.port);
  if (acceptor.open(endpoint.protocol(), ec)) return std::unexpected(Error::sys("socket", target, ec.value()));
  int one = 1;
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (address.ip.is_v6()) acceptor.set_option(ip::v6_only(true), ec);
  if (acceptor.bind(endpoint, ec)) return std::unexpected(Error::sys("bind", target, ec.value()));
  if (acceptor.listen(SOMAXCONN, ec)) return std::unexpected(Error::sys("listen", target, ec.value()));
  return owned;
}

void Worker::adopt(ListenAddress address, std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor) {
  boost::asio::post(io_, [this, address, a = std::shared_ptr(std::move(acceptor))]() mutable {
    if (draining_) return;
    acceptors_.push_back({address, std::make_unique<boost::asio::ip::tcp::acceptor>(std::move(*a))});
    do_accept(acceptors_.back());
  });
}

void Worker::close_acceptor(const ListenAddress& address) {
  boost::asio::post(io_, [this, address] {
    for (auto& a : acceptors_) {
      boost::system::error_code ec;
      if (a.address == address && a.socket->is_open()) a.socket->close(ec);
    }
  });
}

void Worker::set_snapshot(std::shared_ptr<const Snapshot> snapshot) {
  view_ = std::make_shared<View>(std::move(snapshot), io_.get_executor());
}

// The old view lives on while a request pins it; the tick flushes its log
// buffers meanwhile, and it flushes them a last time when it goes.
void Worker::swap(std::shared_ptr<const Snapshot> snapshot) {
  boost::asio::post(io_, [this, snapshot = std::move(snapshot)]() mutable {
    old_views_.push_back(view_);
    view_ = std::make_shared<View>(std::move(snapshot), io_.get_executor());
  });
}

Status Worker::adopt_fd(const ListenAddress& address, UniqueFd fd, const tls::PortContexts* tls) {
  auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(io_);
  boost::system::error_code ec;
  const auto protocol = address.ip.is_v6() ? boost::asio::ip::tcp::v6() : boost::asio::ip::tcp::v4();
  if (acceptor->assign(protocol, fd.get(), ec))
    return std::unexpected(Error::sys("adopt listening socket", address.ip.to_string(), ec.value()));
  fd.release();
  acceptors_.push_back({address, std::move(acceptor), tls});
  return {};
}

void Worker::run() {
  for (auto& a : acceptors_) do_accept(a);
  tick();
  io_.run();
}

void Worker::do_accept(Acceptor& acceptor) {
  acceptor.socket->async_accept([this, &acceptor](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (draining_ || ec == boost::asio::error::operation_aborted || !acceptor.socket->is_open()) return;
    if (ec) return retry_accept(acceptor, ec);
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* session = new Session(*this, std::move(socket), acceptor.tls);
    sessions_.push_back(*session);
    session->start();
    do_accept(acceptor);
  });
}

void Worker::retry_accept(Acceptor& acceptor, boost::system::error_code ec) {
  // EMFILE and friends: pause before accepting again, so a full descriptor
  // table does not spin this thread (and logs at most 10 lines a second).
  log::warn("accept failed: {}", ec.message());
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, kAcceptRetry);
  auto& t = *timer;
  t.async_wait([this, &acceptor, timer = std::move(timer)](boost::system::error_code) {
    if (!draining_ && acceptor.socket->is_open()) do_accept(acceptor);
  });
}

void Worker::tick() {
  clock_.update();
  file_cache_.clear();  // what is on disk wins within one tick
  auto now = std::chrono::steady_clock::now();
  for (auto& s : sessions_)
    if (s.expired(now)) s.close();
  if (clock_.now() != last_flush_) {
    flush_logs();
    last_flush_ = clock_.now();
  }
  if (gentle_until_ && now >= *gentle_until_) {
    gentle_until_.reset();
    for (auto it = sessions_.begin(); it != sessions_.end();) (it++)->drain(false);
  }
  if (draining_ && sessions_.empty()) return;  // no more work: run() returns
  timer_.expires_after(kTick);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void Worker::drain(bool gentle) {
  boost::asio::post(io_, [this, gentle] { on_drain(gentle); });
}

void Worker::on_drain(bool gentle) {
  draining_ = true;
  if (gentle) gentle_until_ = std::chrono::steady_clock::now() + kGentle;
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a.socket->close(ec);
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) (it++)->drain(gentle);
}

void Worker::stop() { io_.stop(); }

void Worker::flush_logs() {
  const std::time_t now = std::time(nullptr);
  view_->flush(now);
  std::erase_if(old_views_, [now](const std::weak_ptr<View>& weak) {
    auto view = weak.lock();
    if (view) view->flush(now);
    return !view;
  });
}

void Worker::destroy(Transport* connection) { delete connection; }

namespace {
H2Factory& h2_factory() {
  static H2Factory factory;  // set once before the workers run, then only read
  return factory;
}
}  // namespace

void Worker::serve_h2(H2Factory factory) { h2_factory() = std::move(factory); }
bool Worker::h2_served() { return static_cast<bool>(h2_factory()); }

void Worker::hand_over(Transport* from, boost::asio::ip::tcp::socket socket, std::unique_ptr<tls::Connection> tls,
                       const handlers::Peer& peer) {
  auto next = h2_factory()(*this, std::move(socket), std::move(tls), peer);
  destroy(from);
  if (!next) return;
  auto* raw = next.release();
  sessions_.push_back(*raw);
  raw->start();
}

}  // namespace gatehouse::http

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
constexpr std::size_t kLogBufferFlush = 64 * 1024;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

}  // namespace

Worker::Worker(const Router& router, const config::Server& server, const std::vector<std::unique_ptr<AccessLog>>& logs)
    : router_(router), server_(server), logs_(logs), buffers_(logs.size()) {
  clock_.update();
}

Worker::~Worker() {
  sessions_.clear_and_dispose([](Session* s) { delete s; });
}

Status Worker::listen(const ListenAddress& address) {
  namespace ip = boost::asio::ip;
  ip::tcp::endpoint endpoint(address.ip, address.port);
  ip::tcp::acceptor acceptor(io_);
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
  acceptors_.push_back(std::move(acceptor));
  return {};
}

Status Worker::adopt(const ListenAddress& address, UniqueFd fd) {
  boost::asio::ip::tcp::acceptor acceptor(io_);
  boost::system::error_code ec;
  const auto protocol = address.ip.is_v6() ? boost::asio::ip::tcp::v6() : boost::asio::ip::tcp::v4();
  if (acceptor.assign(protocol, fd.get(), ec))
    return std::unexpected(Error::sys("adopt listening socket", address.ip.to_string(), ec.value()));
  fd.release();
  acceptors_.push_back(std::move(acceptor));
  return {};
}

void Worker::run() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) do_accept(i);
  tick();
  io_.run();
}

void Worker::do_accept(std::size_t index) {
  acceptors_[index].async_accept([this, index](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (draining_ || ec == boost::asio::error::operation_aborted) return;
    if (ec) return retry_accept(index, ec);
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* session = new Session(*this, std::move(socket));
    sessions_.push_back(*session);
    session->start();
    do_accept(index);
  });
}

void Worker::retry_accept(std::size_t index, boost::system::error_code ec) {
  // EMFILE and friends: pause before accepting again, so a full descriptor
  // table does not spin this thread (and logs at most 10 lines a second).
  log::warn("accept failed: {}", ec.message());
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, kAcceptRetry);
  auto& t = *timer;
  t.async_wait([this, index, timer = std::move(timer)](boost::system::error_code) {
    if (!draining_) do_accept(index);
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
  if (draining_ && sessions_.empty()) return;  // no more work: run() returns
  timer_.expires_after(kTick);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void Worker::drain() {
  boost::asio::post(io_, [this] { on_drain(); });
}

void Worker::on_drain() {
  draining_ = true;
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a.close(ec);
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) (it++)->drain();
}

void Worker::stop() { io_.stop(); }

void Worker::log(std::size_t slot, const AccessRecord& record) {
  auto& buf = buffers_[slot];
  logs_[slot]->count(record.status);  // gatehouse status: requests per site and status class
  append_record(buf, record);
  if (buf.size() >= kLogBufferFlush) {
    if (auto ok = logs_[slot]->write(buf, clock_.now()); !ok) log::error("{}", ok.error().message());
    buf.clear();
  }
}

void Worker::flush_logs() {
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].empty()) continue;
    if (auto ok = logs_[i]->write(buffers_[i], std::time(nullptr)); !ok) log::error("{}", ok.error().message());
    buffers_[i].clear();
  }
}

void Worker::destroy(Session* session) { delete session; }

}  // namespace gatehouse::http

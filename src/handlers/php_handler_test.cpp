// The PHP handler's state machine through a fake port (the transport is the
// peer it talks to), with a real pool set and real php-cgi workers: a large
// response, a slow client, a client that leaves, a worker that dies mid-body.
#include "handlers/php_handler.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "config/load.hpp"
#include "handlers/site_map.hpp"
#include "pool/pool_set.hpp"

namespace gatehouse::handlers {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The transport as a handler sees it, recording what the handler does.
class FakePort final : public Port {
 public:
  Request req;
  Peer peer_info{"127.0.0.1", 40000, "127.0.0.1", 8080};
  config::Limits lim;
  std::string body_to_send;  // the request body, given in 1000-byte pieces
  std::size_t body_sent = 0;
  bool chunked = false;  // no Content-Length
  std::size_t reads = 0;

  bool manual_writes = false;  // true: write_body waits until ack()
  std::optional<unsigned> head_status;
  std::optional<std::uint64_t> head_length;
  std::string body;
  std::size_t writes = 0;
  bool finished = false;
  unsigned error_status = 0;
  int aborts = 0;
  WriteDone pending;

  const Request& request() const override { return req; }
  const Peer& peer() const override { return peer_info; }
  SteadyTime request_start() const override { return start; }
  const config::Limits& limits() const override { return lim; }
  bool body_complete() const override { return body_sent == body_to_send.size(); }
  std::optional<std::uint64_t> body_length() const override {
    if (body_to_send.empty() || chunked) return std::nullopt;
    return body_to_send.size();
  }
  BodyChunk waiting;  // manual_body: the handler waits for the next piece
  bool manual_body = false;
  void feed() { std::exchange(waiting, nullptr)(next_piece()); }
  std::string_view next_piece() {
    auto piece = std::string_view(body_to_send).substr(body_sent, 1000);
    body_sent += piece.size();
    return piece;
  }
  void read_body(BodyChunk chunk) override {
    ++reads;
    if (manual_body) {
      waiting = std::move(chunk);
      return;
    }
    auto piece = std::string_view(body_to_send).substr(body_sent, 1000);
    body_sent += piece.size();
    chunk(piece);
  }
  void write_head(const ResponseHead& head) override {
    head_status = head.status;
    head_length = head.length;
  }
  void write_body(std::string_view data, bool last, WriteDone done) override {
    ++writes;
    body.append(data);
    if (last) {
      finished = true;
      return;
    }
    if (manual_writes)
      pending = std::move(done);
    else
      done();
  }
  void ack() { std::exchange(pending, nullptr)(); }
  void answer_error(unsigned status, unsigned, std::string_view) override { error_status = status; }
  void abort() override { ++aborts; }
  void set_deadline(SteadyTime) override {}
  void cap_waits(SteadyTime) override {}
  void keep_alive(bool) override {}
  void note_win32(int) override {}
  void log_as(unsigned, unsigned) override {}

  SteadyTime start = std::chrono::steady_clock::now();
};

class PhpHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gh-php-handler-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "www");
    std::ofstream(root_ / "www/hello.php") << "<?php echo 'hello';";
    std::ofstream(root_ / "www/big.php") << "<?php echo str_repeat('x', 200000);";
    std::ofstream(root_ / "www/echo.php")
        << "<?php echo $_SERVER['CONTENT_LENGTH'], ' ', strlen(file_get_contents('php://input'));";
    // Dies before it reads its body (php://input is read on demand).
    std::ofstream(root_ / "www/die.php") << "<?php shell_exec('kill -9 ' . getmypid()); sleep(5);";
    auto text = "[server]\nstate_dir = \"" + (root_ / "state").string() + "\"\nlog_dir = \"" +
                (root_ / "log").string() +
                "\"\n[[pools]]\nname = \"t\"\n[pools.fastcgi]\nmax_instances = 1\n[[sites]]\nname = \"s\"\n"
                "bindings = [\"http://127.0.0.1:8080:*\"]\napp_root = \"" +
                (root_ / "www").string() + "\"\nphysical_path = \"" + (root_ / "www").string() + "\"\npool = \"t\"\n";
    config_ = std::make_unique<config::Config>(config::load_string(text, "test.toml"));
    pool::PoolSetOptions options;
    options.socket_dir = root_ / "sockets";
    fs::create_directories(root_ / "state");
    ASSERT_TRUE(pool::ensure_socket_dir(root_ / "state/bodies").has_value());
    auto pools = pool::PoolSet::create(*config_, std::move(options));
    ASSERT_TRUE(pools.has_value()) << pools.error().message();
    pools_ = std::move(*pools);
    routing_ = std::make_unique<PhpRouting>(*config_, *pools_, io_.get_executor());
    auto site = open_site(config_->sites[0], 0);
    ASSERT_TRUE(site.has_value()) << site.error().message();
    site_ = std::make_unique<SiteRoutes>(std::move(*site));
  }
  void TearDown() override {
    handler_.reset();
    io_.run_for(50ms);
    if (pools_) pools_->stop();
    fs::remove_all(root_);
  }

  void start(const std::string& target, const char* method = "GET") {
    port_.req.method = std::string_view(method) == "POST" ? beast_http::verb::post : beast_http::verb::get;
    port_.req.method_text = method;
    port_.req.target = target;
    port_.req.host = "localhost";
    handler_ = std::make_unique<PhpHandler>(port_, *routing_);
    handler_->start(*site_, target, nullptr);
  }
  // Runs the I/O thread's work until `done` or 10 s.
  bool run_until(const std::function<bool()>& done) {
    auto limit = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < limit) {
      io_.restart();
      io_.run_for(10ms);
    }
    return done();
  }
  pool::PoolStats stats() { return pools_->find("t")->stats(); }

  fs::path root_;
  boost::asio::io_context io_;
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<pool::PoolSet> pools_;
  std::unique_ptr<PhpRouting> routing_;
  std::unique_ptr<SiteRoutes> site_;
  FakePort port_;
  std::unique_ptr<PhpHandler> handler_;
};

TEST_F(PhpHandlerTest, SmallResponseLeavesWholeWithItsLength) {
  start("/hello.php");
  ASSERT_TRUE(run_until([&] { return port_.finished || port_.error_status; }));
  EXPECT_EQ(port_.head_status, 200u);
  EXPECT_EQ(port_.head_length, 5u);
  EXPECT_EQ(port_.body, "hello");
  EXPECT_EQ(port_.writes, 1u);
}

TEST_F(PhpHandlerTest, ResponseOver64KiBStreamsWithoutALength) {
  start("/big.php");
  ASSERT_TRUE(run_until([&] { return port_.finished || port_.error_status; }));
  EXPECT_EQ(port_.head_status, 200u);
  EXPECT_EQ(port_.head_length, std::nullopt);  // the transport frames it (chunked)
  EXPECT_EQ(port_.body, std::string(200000, 'x'));
  EXPECT_GT(port_.writes, 1u);
}

TEST_F(PhpHandlerTest, SlowClientHoldsPhpOutputBack) {
  port_.manual_writes = true;
  start("/big.php");
  ASSERT_TRUE(run_until([&] { return port_.writes == 1; }));
  io_.restart();
  io_.run_for(200ms);
  EXPECT_EQ(port_.writes, 1u);  // nothing more is read from PHP while the client does not read
  EXPECT_EQ(stats().busy, 1u);
  while (port_.pending) {
    port_.ack();
    run_until([&] { return port_.pending != nullptr || port_.finished; });
  }
  EXPECT_TRUE(port_.finished);
  EXPECT_EQ(port_.body.size(), 200000u);
}

TEST_F(PhpHandlerTest, ClientThatLeavesFreesTheWorker) {
  port_.manual_writes = true;
  start("/big.php");
  ASSERT_TRUE(run_until([&] { return port_.writes == 1; }));
  EXPECT_TRUE(handler_->may_destroy());  // waiting for the client: nothing of its own pending
  handler_.reset();
  EXPECT_TRUE(run_until([&] { return stats().busy == 0; }));
  // The pool serves the next request.
  port_.finished = false;
  port_.body.clear();
  port_.manual_writes = false;
  start("/hello.php");
  ASSERT_TRUE(run_until([&] { return port_.finished; }));
  EXPECT_EQ(port_.body, "hello");
}

TEST_F(PhpHandlerTest, WorkerThatDiesMidBodyGives502) {
  port_.body_to_send = std::string(4 << 20, 'b');
  start("/die.php", "POST");
  ASSERT_TRUE(run_until([&] { return port_.error_status != 0 || port_.finished || port_.aborts; }));
  EXPECT_EQ(port_.error_status, 502u);
  EXPECT_FALSE(port_.finished);
}

TEST_F(PhpHandlerTest, BodyIsWholeBeforeAWorkerIsTaken) {
  port_.body_to_send = std::string(100000, 'b');
  port_.manual_body = true;  // a slow client: the test hands over each piece
  start("/echo.php", "POST");
  for (int i = 0; i < 99; ++i) {
    ASSERT_TRUE(port_.waiting) << i;
    port_.feed();
  }
  io_.restart();
  io_.run_for(100ms);
  auto s = stats();
  EXPECT_EQ(s.busy, 0u);  // 99 of 100 pieces in: still no worker held (a prestarted one may be starting)
  port_.feed();           // the last piece
  port_.feed();           // the end
  ASSERT_TRUE(run_until([&] { return port_.finished || port_.error_status; }));
  EXPECT_EQ(port_.body, "100000 100000");
  EXPECT_EQ(port_.reads, 101u);
}

TEST_F(PhpHandlerTest, ChunkedBodyGetsAContentLength) {
  port_.body_to_send = std::string(5000, 'c');
  port_.chunked = true;
  start("/echo.php", "POST");
  ASSERT_TRUE(run_until([&] { return port_.finished || port_.error_status; }));
  EXPECT_EQ(port_.body, "5000 5000");
}

}  // namespace
}  // namespace gatehouse::handlers

// The async client against a real php-cgi on a unix socket (several requests
// on one connection), and against a peer that breaks the protocol.
#include "fastcgi/client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "fastcgi/cgi_head.hpp"
#include "fastcgi/params.hpp"

namespace gatehouse::fastcgi {
namespace {

namespace fs = std::filesystem;
using asio::use_awaitable;
using ::testing::HasSubstr;

// A php-cgi worker the way the pool starts one: a listening unix socket on
// fd 0, a cleared environment, PHP_FCGI_CHILDREN=0.
class PhpCgi {
 public:
  PhpCgi() {
    char tmpl[] = "/tmp/gh-fastcgi-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    socket_path_ = dir_ / "php.sock";
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path_.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0)
      ADD_FAILURE() << "bind/listen " << socket_path_ << ": " << std::strerror(errno);
    const char* argv[] = {"php-cgi", "-n", "-d", "display_errors=0", "-d", "log_errors=1", nullptr};
    const char* envp[] = {"PHP_FCGI_CHILDREN=0", "PHP_FCGI_MAX_REQUESTS=100", nullptr};
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::dup2(fd, 0) != 0) ::_exit(126);
      ::execve("/usr/bin/php-cgi", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      ::_exit(127);
    }
    ::close(fd);
  }
  ~PhpCgi() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path write_script(const std::string& name, const std::string& code) const {
    std::ofstream(dir_ / name) << code;
    return dir_ / name;
  }

  UnixSocket connect(asio::io_context& io) const {
    UnixSocket s(io);
    s.connect(asio::local::stream_protocol::endpoint(socket_path_.string()));
    return s;
  }

  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  fs::path socket_path_;
  pid_t pid_ = -1;
};

struct Response {
  error_code ec;
  std::string out;
  std::string err;
  std::uint32_t app_status = 0;
  ProtocolStatus protocol = ProtocolStatus::RequestComplete;
  int stdout_events = 0;
};

std::vector<NameValue> params_for(const PhpCgi& php, const fs::path& script, std::string method = "GET",
                                  std::optional<std::uint64_t> length = std::nullopt) {
  RequestMeta m;
  m.method = std::move(method);
  m.script_filename = script.string();
  m.script_name = "/" + script.filename().string();
  m.document_root = php.dir().string();
  m.request_uri = m.script_name;
  m.content_length = length;
  if (length) m.content_type = "application/octet-stream";
  m.remote_addr = "127.0.0.1";
  m.server_addr = "127.0.0.1";
  m.server_port = 80;
  m.server_name = "localhost";
  m.headers = {{"Host", "localhost"}};
  return *build_params(m);
}

asio::awaitable<Response> read_all(Connection& c) {
  Response r;
  for (;;) {
    error_code ec;
    Output out = co_await c.async_read_output(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      r.ec = ec;
      co_return r;
    }
    if (out.kind == EventKind::Stdout) {
      r.out.append(out.data.begin(), out.data.end());
      ++r.stdout_events;
    } else if (out.kind == EventKind::Stderr) {
      r.err.append(out.data.begin(), out.data.end());
    } else {
      r.app_status = out.app_status;
      r.protocol = out.protocol_status;
      co_return r;
    }
  }
}

asio::awaitable<Response> run(Connection& c, std::vector<NameValue> params, std::vector<std::string> body = {},
                              bool has_body = false) {
  error_code ec;
  co_await c.async_begin(params, has_body, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return Response{ec};
  for (const auto& chunk : body) {
    co_await c.async_write_stdin(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{ec};
  }
  if (has_body) {
    co_await c.async_end_stdin(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{ec};
  }
  co_return co_await read_all(c);
}

// Runs `body` as a coroutine to completion.
template <class F>
void run_coro(asio::io_context& io, F body) {
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body();
        done = true;
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(done);
}

std::string body_of(const std::string& out) {
  CgiHeadParser p;
  std::size_t used = 0;
  const ByteSpan bytes(reinterpret_cast<const std::uint8_t*>(out.data()), out.size());
  EXPECT_EQ(p.feed(bytes, used), CgiHeadParser::Result::Done) << out;
  return out.substr(used);
}

TEST(Client, SeveralRequestsOnOnePersistentConnectionToPhpCgi) {
  PhpCgi php;
  const auto hello = php.write_script("hello.php", "<?php echo 'Hello, world';");
  const auto post = php.write_script("post.php",
                                     "<?php header('X-Len: ' . $_SERVER['CONTENT_LENGTH']);\n"
                                     "echo strtoupper(file_get_contents('php://input'));");
  const auto warn = php.write_script("warn.php", "<?php error_log('disk on fire'); echo 'still here';");
  asio::io_context io;
  Connection conn(php.connect(io));
  run_coro(io, [&]() -> asio::awaitable<void> {
    Response r = co_await run(conn, params_for(php, hello));
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(body_of(r.out), "Hello, world");
    EXPECT_EQ(r.app_status, 0u);
    EXPECT_EQ(r.protocol, ProtocolStatus::RequestComplete);
    const std::uint16_t first_id = conn.request_id();

    // A POST body that arrives in three pieces, one of them beyond a record.
    std::vector<std::string> chunks = {"abc", std::string(70000, 'x'), "def"};
    r = co_await run(conn, params_for(php, post, "POST", 70006), chunks, true);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_THAT(r.out, HasSubstr("X-Len: 70006\r\n"));
    EXPECT_EQ(body_of(r.out), "ABC" + std::string(70000, 'X') + "DEF");

    r = co_await run(conn, params_for(php, warn));
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_THAT(r.err, HasSubstr("disk on fire"));
    EXPECT_EQ(body_of(r.out), "still here");

    r = co_await run(conn, params_for(php, hello));
    EXPECT_EQ(body_of(r.out), "Hello, world");
    EXPECT_EQ(conn.request_id(), first_id + 3);  // same connection throughout
    EXPECT_TRUE(conn.reusable());

    // The pool's pattern: the socket goes back to the lease and into a fresh
    // Connection for the next request, php-cgi still on the same connection.
    Connection next(conn.release_socket());
    r = co_await run(next, params_for(php, hello));
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(body_of(r.out), "Hello, world");
    EXPECT_TRUE(next.reusable());
  });
}

TEST(Client, LargeOutputArrivesInPiecesAskedForOneByOne) {
  PhpCgi php;
  const auto big = php.write_script("big.php", "<?php for ($i = 0; $i < 20000; $i++) printf(\"%09d\\n\", $i);");
  asio::io_context io;
  Connection conn(php.connect(io), 4096);  // a small buffer: many reads
  run_coro(io, [&]() -> asio::awaitable<void> {
    Response r = co_await run(conn, params_for(php, big));
    EXPECT_FALSE(r.ec) << r.ec.message();
    const std::string body = body_of(r.out);
    EXPECT_EQ(body.size(), 200000u);
    if (body.size() != 200000u) co_return;
    EXPECT_EQ(body.substr(0, 10), "000000000\n");
    EXPECT_EQ(body.substr(body.size() - 10), "000019999\n");
    EXPECT_GT(r.stdout_events, 200000 / 4096);
  });
}

TEST(Client, GetValuesWithACallback) {
  PhpCgi php;
  asio::io_context io;
  Connection conn(php.connect(io));
  const std::vector<std::string> names = {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"};
  std::vector<NameValue> got;
  error_code result = asio::error::would_block;
  conn.async_get_values(names, [&](error_code ec, std::vector<NameValue> values) {
    result = ec;
    got = std::move(values);
  });
  io.run();
  EXPECT_FALSE(result) << result.message();
  EXPECT_THAT(got, ::testing::Contains(::testing::Field(&NameValue::name, "FCGI_MPXS_CONNS")));
}

TEST(Client, AbortEndsTheRequest) {
  PhpCgi php;
  const auto post = php.write_script("input.php", "<?php echo strlen(file_get_contents('php://input'));");
  asio::io_context io;
  Connection conn(php.connect(io));
  run_coro(io, [&]() -> asio::awaitable<void> {
    error_code ec;
    co_await conn.async_begin(params_for(php, post, "POST", 1000), true, asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    co_await conn.async_write_stdin(asio::buffer("0123456789", 10), asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    co_await conn.async_abort(asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    // Whatever php-cgi makes of it, the request ends: END_REQUEST or the
    // worker closing the connection, never a hang.
    Response r = co_await read_all(conn);
    std::cerr << "php-cgi after ABORT_REQUEST: " << (r.ec ? r.ec.message() : "END_REQUEST") << " app_status "
              << r.app_status << "\n";
    EXPECT_TRUE(!r.ec || r.ec == asio::error::eof) << r.ec.message();
    EXPECT_FALSE(conn.in_request());
  });
}

TEST(Client, MisuseIsReportedAsErrorValues) {
  asio::io_context io;
  UnixSocket a(io), b(io);
  asio::local::connect_pair(a, b);
  Connection conn(std::move(a));
  std::vector<error_code> seen;
  auto record = [&](error_code ec) { seen.push_back(ec); };
  conn.async_write_stdin(asio::buffer("x", 1), record);
  conn.async_end_stdin(record);
  conn.async_abort(record);
  conn.async_read_output([&](error_code ec, Output) { seen.push_back(ec); });
  EXPECT_TRUE(seen.empty()) << "handlers must not run inside the initiating call";
  io.run();
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& ec : seen) EXPECT_EQ(ec, ClientErrc::not_in_request) << ec.message();
}

// A worker that answers garbage: the error reaches the caller as a value.
TEST(Client, MalformedPeerOutputIsAnError) {
  asio::io_context io;
  UnixSocket a(io), b(io);
  asio::local::connect_pair(a, b);
  Connection conn(std::move(a));
  const std::string garbage = "HTTP/1.1 200 OK\r\n\r\n";
  asio::write(b, asio::buffer(garbage));
  error_code read_ec;
  run_coro(io, [&]() -> asio::awaitable<void> {
    error_code ec;
    co_await conn.async_begin(std::vector<NameValue>{}, false, asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    Response r = co_await read_all(conn);
    read_ec = r.ec;
  });
  EXPECT_EQ(read_ec, ParseError::BadVersion) << read_ec.message();
  EXPECT_TRUE(conn.broken());
  EXPECT_FALSE(conn.reusable());
}

TEST(Client, WorkerClosingMidResponseIsEof) {
  asio::io_context io;
  UnixSocket a(io), b(io);
  asio::local::connect_pair(a, b);
  Connection conn(std::move(a));
  Bytes partial;
  const auto h = encode_header(RecordType::Stdout, 1, 10);
  partial.insert(partial.end(), h.begin(), h.end());
  partial.insert(partial.end(), {'a', 'b', 'c'});
  Response r;
  run_coro(io, [&]() -> asio::awaitable<void> {
    error_code ec;
    co_await conn.async_begin(std::vector<NameValue>{}, false, asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    std::array<std::uint8_t, 32> request{};  // BEGIN, empty PARAMS, empty STDIN
    asio::read(b, asio::buffer(request));
    asio::write(b, asio::buffer(partial));
    b.close();
    r = co_await read_all(conn);
  });
  EXPECT_EQ(r.out, "abc");
  EXPECT_EQ(r.ec, asio::error::eof) << r.ec.message();
  EXPECT_TRUE(conn.broken());
}

}  // namespace
}  // namespace gatehouse::fastcgi

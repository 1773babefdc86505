// The front's sandbox, applied by the same confine_front the front will call,
// in a forked child running as a throw-away account: every escape fails there,
// while the per-thread fsuid switch still reads a served file as "IUSR".
#include "sandbox/front.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "accounts/credentials.hpp"
#include "accounts/test_support.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/test_support.hpp"

namespace gatehouse::sandbox::test {
namespace {

// One probe's outcome: 0 when the call succeeded, else its errno.
struct Report {
  char confine_error[200] = {};
  int open_root_only = -1;
  int setuid0 = -1;
  int setfsuid0 = -1;
  unsigned fsuid_after_setfsuid0 = 0;
  int execve_sh = -1;
  int ptrace_other = -1;
  int write_served_root = -1;
  int read_served_as_front = -1;  // without the switch: the kernel says no
  int read_served_as_iusr = -1;
  int write_log = -1;
  int fork_child = -1;
  std::size_t allowed_syscalls = 0;
};

int open_errno(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

int read_errno(const std::filesystem::path& path, const char* expected) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[64] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return n >= 0 && std::strcmp(buf, expected) == 0 ? 0 : EIO;
}

int result(long rc) { return rc < 0 ? errno : 0; }

class FrontSandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || landlock_abi() == 0) return;  // SetUp says why
    tmp_ = new TempDir;
    front_ = new accounts::testing::TestAccount("gh-tfront-");
    iusr_ = new accounts::testing::TestAccount("gh-tiusr-");
    run_child();
  }
  static void TearDownTestSuite() {
    delete iusr_;
    delete front_;
    delete tmp_;
    iusr_ = front_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    const char* why = ::geteuid() != 0      ? "needs root (accounts, setuid)"
                      : landlock_abi() == 0 ? "no Landlock"
                                            : nullptr;
    if (why) {
      if (in_ci()) FAIL() << "CI=true: " << why;
      GTEST_SKIP() << why;
    }
    ASSERT_EQ(report_.confine_error[0], '\0') << "confine_front failed: " << report_.confine_error;
  }

  static std::filesystem::path at(const char* name) { return tmp_->path() / name; }

  static void make_files() {
    const auto& f = front_->identity();
    const auto& u = iusr_->identity();
    ::chmod(tmp_->path().c_str(), 0755);
    std::filesystem::create_directory(at("root"));
    ::chmod(at("root").c_str(), 0777);  // the file mode would let anyone write: Landlock must refuse
    std::ofstream(at("root/page.html")) << "served";
    ::chown(at("root/page.html").c_str(), u.uid, u.gid);
    ::chmod(at("root/page.html").c_str(), 0600);  // readable by IUSR only
    std::ofstream(at("secret")) << "root only";
    ::chmod(at("secret").c_str(), 0600);
    for (const char* d : {"logs", "sockets"}) {
      std::filesystem::create_directory(at(d));
      ::chown(at(d).c_str(), f.uid, f.gid);
      ::chmod(at(d).c_str(), 0700);
    }
  }

  // A process of the front's own uid, started before the sandbox: ptrace
  // would be allowed between them (same uid, parent) without seccomp. It
  // exits when the child's end of `hold` closes.
  static pid_t start_victim(uid_t uid, gid_t gid, int hold_read, int hold_write) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(hold_write);                 // else it would hold its own EOF away
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // and never outlive the child
      for (int fd : {1, 2}) ::close(fd);   // nor keep the test's output pipe open
      if (::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0) ::_exit(1);
      char b;
      (void)::read(hold_read, &b, 1);
      ::_exit(0);
    }
    return pid;
  }

  static void run_child() {
    make_files();
    int out[2], go[2], hold[2];
    ASSERT_EQ(::pipe(out), 0);
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(hold), 0);
    const auto& f = front_->identity();
    const auto& u = iusr_->identity();
    pid_t child = ::fork();
    if (child == 0) {
      ::close(out[0]);
      ::close(go[1]);
      pid_t victim = start_victim(f.uid, f.gid, hold[0], hold[1]);
      ::close(hold[0]);
      Report r;
      FrontSandboxSpec spec{f.uid, f.gid, {}, {at("root")}, {at("logs"), at("sockets")}};
      auto facts = confine_front(spec);
      if (!facts) {
        std::snprintf(r.confine_error, sizeof r.confine_error, "%s", facts.error().message().c_str());
      } else {
        r.allowed_syscalls = facts->allowed_syscalls;
        r.open_root_only = open_errno(at("secret"), O_RDONLY);
        r.setuid0 = result(::syscall(SYS_setuid, 0));
        r.setfsuid0 = result(::syscall(SYS_setfsuid, 0));
        r.fsuid_after_setfsuid0 = accounts::current_fsuid();
        char* argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>("true"), nullptr};
        r.execve_sh = result(::execve("/bin/sh", argv, environ));
        r.ptrace_other = result(::ptrace(PTRACE_ATTACH, victim, nullptr, nullptr));
        r.write_served_root = open_errno(at("root/new.html"), O_WRONLY | O_CREAT);
        r.read_served_as_front = read_errno(at("root/page.html"), "served");
        {
          auto as_iusr = accounts::ThreadCredentials::assume(u);
          r.read_served_as_iusr = as_iusr ? read_errno(at("root/page.html"), "served") : EPERM;
        }
        r.write_log = open_errno(at("logs/u_ex.log"), O_WRONLY | O_CREAT | O_APPEND);
        r.fork_child = result(::syscall(SYS_fork));
      }
      (void)::write(out[1], &r, sizeof r);
      char b;
      (void)::read(go[0], &b, 1);  // the parent reads /proc/<pid>/status meanwhile
      ::_exit(0);
    }
    ::close(out[1]);
    ::close(go[0]);
    ::close(hold[0]);
    ::close(hold[1]);
    ssize_t n = ::read(out[0], &report_, sizeof report_);
    if (n != sizeof report_)
      std::snprintf(report_.confine_error, sizeof report_.confine_error, "child died (read %zd)", n);
    std::ifstream status("/proc/" + std::to_string(child) + "/status");
    std::stringstream text;
    text << status.rdbuf();
    status_ = text.str();
    (void)::write(go[1], "x", 1);
    ::close(go[1]);
    ::close(out[0]);
    int st = 0;
    ::waitpid(child, &st, 0);
    child_status_ = st;
  }

  static std::string status_line(const std::string& key) {
    auto pos = status_.find("\n" + key + ":");
    if (pos == std::string::npos) return "(no " + key + ")";
    auto start = status_.find_first_not_of(" \t", pos + key.size() + 2);
    return status_.substr(start, status_.find('\n', start) - start);
  }

  static inline TempDir* tmp_ = nullptr;
  static inline accounts::testing::TestAccount* front_ = nullptr;
  static inline accounts::testing::TestAccount* iusr_ = nullptr;
  static inline Report report_;
  static inline std::string status_;
  static inline int child_status_ = -1;
};

TEST_F(FrontSandboxTest, RootOnlyFileOutsideTheRootsCannotBeOpened) { EXPECT_EQ(report_.open_root_only, EACCES); }

TEST_F(FrontSandboxTest, SetuidZeroIsRefused) { EXPECT_EQ(report_.setuid0, EPERM); }

TEST_F(FrontSandboxTest, SetfsuidZeroIsRefusedAndChangesNothing) {
  EXPECT_EQ(report_.setfsuid0, EPERM);
  EXPECT_EQ(report_.fsuid_after_setfsuid0, front_->identity().uid);
}

TEST_F(FrontSandboxTest, ExecveIsRefused) { EXPECT_EQ(report_.execve_sh, EPERM); }

TEST_F(FrontSandboxTest, PtraceOfAnotherProcessOfTheSameUidIsRefused) { EXPECT_EQ(report_.ptrace_other, EPERM); }

TEST_F(FrontSandboxTest, ForkIsRefused) { EXPECT_EQ(report_.fork_child, EPERM); }

TEST_F(FrontSandboxTest, WritingUnderAServedRootIsRefusedEvenWhereTheModeAllowsIt) {
  EXPECT_EQ(report_.write_served_root, EACCES);
  EXPECT_FALSE(std::filesystem::exists(at("root/new.html")));
}

TEST_F(FrontSandboxTest, ServedFileIsReadAsIusrThroughThePerThreadSwitchOnly) {
  EXPECT_EQ(report_.read_served_as_front, EACCES) << "the front's own uid must not read an IUSR-only file";
  EXPECT_EQ(report_.read_served_as_iusr, 0);
}

TEST_F(FrontSandboxTest, LogFolderIsWritable) {
  EXPECT_EQ(report_.write_log, 0);
  EXPECT_TRUE(std::filesystem::exists(at("logs/u_ex.log")));
}

TEST_F(FrontSandboxTest, ProcStatusShowsTheConfinement) {
  const std::string uid = std::to_string(front_->identity().uid);
  EXPECT_EQ(status_line("Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status_line("NoNewPrivs"), "1");
  EXPECT_EQ(status_line("Seccomp"), "2");
  EXPECT_EQ(status_line("Seccomp_filters"), "2");
  EXPECT_EQ(status_line("CapEff"), "00000000000000c0");  // CAP_SETGID (6) and CAP_SETUID (7)
  EXPECT_EQ(status_line("CapPrm"), "00000000000000c0");
  EXPECT_EQ(status_line("CapBnd"), "00000000000000c0");
  EXPECT_EQ(status_line("CapInh"), "0000000000000000");
  EXPECT_EQ(status_line("CapAmb"), "0000000000000000");
  EXPECT_TRUE(WIFEXITED(child_status_) && WEXITSTATUS(child_status_) == 0) << "child status " << child_status_;
}

TEST_F(FrontSandboxTest, AllowListHasEveryNamedCallAndNoMore) {
  // Every name resolved on this architecture, plus two more ioctl request values.
  EXPECT_EQ(report_.allowed_syscalls, front_syscall_names().size() + 2);
  EXPECT_LT(report_.allowed_syscalls, 100u);
}

// The allow-list is enough for what the front does: Asio's epoll reactor and
// timers on a thread started after confinement, accept on a socket bound
// before it, and sendfile of a served file opened as IUSR.
TEST_F(FrontSandboxTest, AsioServerWorksUnderTheSandbox) {
  namespace asio = boost::asio;
  int port_pipe[2];
  ASSERT_EQ(::pipe(port_pipe), 0);
  const auto& f = front_->identity();
  const auto& u = iusr_->identity();
  pid_t child = ::fork();
  if (child == 0) {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::uint16_t port = acceptor.local_endpoint().port();
    (void)::write(port_pipe[1], &port, sizeof port);
    if (!confine_front(FrontSandboxSpec{f.uid, f.gid, {}, {at("root")}, {at("logs")}})) ::_exit(10);
    int rc = 11;
    asio::steady_timer timer(io, std::chrono::milliseconds(5));
    timer.async_wait([&](boost::system::error_code) {
      acceptor.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket sock) {
        if (ec) return;
        asio::streambuf head;
        asio::read_until(sock, head, "\r\n\r\n", ec);
        if (ec) return;
        auto as_iusr = accounts::ThreadCredentials::assume(u);
        int fd = as_iusr ? ::open(at("root/page.html").c_str(), O_RDONLY | O_CLOEXEC) : -1;
        if (fd < 0) return void(rc = 12);
        std::string status = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n";
        asio::write(sock, asio::buffer(status), ec);
        off_t off = 0;
        rc = !ec && ::sendfile(sock.native_handle(), fd, &off, 6) == 6 ? 0 : 13;
        ::close(fd);
      });
    });
    std::thread runner([&] { io.run(); });  // a thread made after confinement (clone with CLONE_THREAD)
    runner.join();
    ::_exit(rc);
  }
  std::uint16_t port = 0;
  ASSERT_EQ(::read(port_pipe[0], &port, sizeof port), ssize_t(sizeof port));
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(::write(s, req.data(), req.size()), ssize_t(req.size()));
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::read(s, buf, sizeof buf)) > 0;) got.append(buf, n);
  ::close(s);
  int st = 0;
  ::waitpid(child, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
      << (WIFSIGNALED(st) ? "killed by signal " + std::to_string(WTERMSIG(st))
                          : "exit " + std::to_string(WEXITSTATUS(st)));
  EXPECT_NE(got.find("\r\n\r\nserved"), std::string::npos) << got;
}

TEST(FrontSandbox, RootAccountIsRefused) {
  auto r = confine_front(FrontSandboxSpec{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("root"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace gatehouse::sandbox::test

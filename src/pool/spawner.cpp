// Starting php-cgi: parent-side socket set-up, then a child that runs a chain
// of async-signal-safe steps and reports the first failure through a pipe.
#include "pool/spawner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "accounts/credentials.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/landlock.hpp"

namespace gatehouse::pool {
namespace {

constexpr int kReportFd = 3;  // where the child keeps the status pipe
constexpr int kListenBacklog = 16;

// Pointers into vectors that the parent keeps alive across fork: the child
// only reads them.
struct ChildPlan {
  const char* path;
  char* const* argv;
  char* const* envp;
  int listen_fd;
  int report_fd;
  mode_t umask;
  bool drop;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t ngroups;
  pid_t parent;
  int ruleset_fd;  // -1: no Landlock
  const int* cgroup_fds;
  size_t ncgroups;
};

[[noreturn]] void child_fail(int report_fd, ChildStep step, int errnum, int drop_step = 0) {
  ChildReport report{static_cast<std::int32_t>(step), errnum, drop_step};
  [[maybe_unused]] auto n = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

// Signal dispositions set to SIG_IGN survive execve and the mask is inherited:
// php-cgi must start with neither (an ignored SIGTERM would make it unstoppable).
void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // SIGKILL/SIGSTOP fail: fine
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// fd 0: the listening socket (php-cgi's FastCGI mode); fds 1 and 2:
// /dev/null (the server's stderr is its log: a worker could truncate or forge
// it, and PHP's stderr reaches us over FastCGI anyway); fd 3: the status pipe
// until execve; nothing else.
int child_setup_fds(const ChildPlan& p) {
  if (::dup2(p.listen_fd, 0) < 0) child_fail(p.report_fd, ChildStep::Dup, errno);
  if (p.report_fd != kReportFd && ::dup2(p.report_fd, kReportFd) < 0) child_fail(p.report_fd, ChildStep::Dup, errno);
  ::fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
  if (::close_range(kReportFd + 1, ~0U, 0) < 0) child_fail(kReportFd, ChildStep::Dup, errno);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0 || ::dup2(null_fd, 1) < 0 || ::dup2(null_fd, 2) < 0) child_fail(kReportFd, ChildStep::Dup, errno);
  if (null_fd > 2) ::close(null_fd);
  return kReportFd;
}

// The cgroups are joined as root (before any fork the worker could make) and
// Landlock is entered before anything is opened, both with the fd numbers the
// parent gave, before child_setup_fds closes them. Each worker set gets its
// own Landlock domain (php-cgi's children share their parent's).
[[noreturn]] void run_child(const ChildPlan& p) {
  reset_signals();
  if (int err = sandbox::join_cgroups(p.cgroup_fds, p.ncgroups); err != 0)
    child_fail(p.report_fd, ChildStep::JoinCgroup, err);
  if (int err = sandbox::restrict_self(p.ruleset_fd); err != 0) child_fail(p.report_fd, ChildStep::Landlock, err);
  int report = child_setup_fds(p);
  ::umask(p.umask);
  if (::chdir("/") < 0) child_fail(report, ChildStep::Chdir, errno);
  if (::setsid() < 0) child_fail(report, ChildStep::Setsid, errno);
  if (p.drop) {
    auto dropped = accounts::drop_privileges(p.uid, p.gid, p.groups, p.ngroups);
    if (!dropped.ok()) child_fail(report, ChildStep::DropPrivileges, dropped.errnum, static_cast<int>(dropped.step));
  }
  // A server that dies without stopping its pools must not leave workers
  // behind. Set after the drop, which clears it; the manager thread that
  // forks lives as long as the pools. Then catch a parent that died already.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0) child_fail(report, ChildStep::ParentDeathSignal, errno);
  if (::getppid() != p.parent) child_fail(report, ChildStep::ParentDeathSignal, ESRCH);
  ::execve(p.path, p.argv, p.envp);
  child_fail(report, ChildStep::Exec, errno);
}

// Keeps fds 0-2 free for the child's dup2 dance even when the server runs
// with a closed stdin.
Result<UniqueFd> above_stdio(UniqueFd fd, const char* op) {
  if (!fd) return std::unexpected(Error::sys(op, ""));
  if (fd.get() > 2) return fd;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return std::unexpected(Error::sys("fcntl", "F_DUPFD_CLOEXEC"));
  return UniqueFd(moved);
}

Result<UniqueFd> listen_at(const std::filesystem::path& path, sockaddr_un& addr) {
  auto fd = above_stdio(UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), "socket");
  if (!fd) return fd;
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return std::unexpected(Error::sys("unlink", path));
  if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return std::unexpected(Error::sys("bind", path));
  if (::chmod(path.c_str(), 0600) < 0) return std::unexpected(Error::sys("chmod", path));
  if (::listen(fd->get(), kListenBacklog) < 0) return std::unexpected(Error::sys("listen", path));
  return fd;
}

// The connection is queued in the listener's backlog before php-cgi even
// runs, so connecting never waits for the child.
Result<UniqueFd> connect_to(const std::filesystem::path& path, sockaddr_un& addr) {
  auto fd = above_stdio(UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), "socket");
  if (!fd) return fd;
  if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return std::unexpected(Error::sys("connect", path));
  return fd;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct ForkResult {
  pid_t pid;
  int errnum;
};

// Signals stay blocked across fork so that no handler of the server runs in
// the child before reset_signals().
ForkResult fork_child(const ChildPlan& plan) {
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  int saved = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return {pid, saved};
}

}  // namespace

unsigned children_for(unsigned max_instances) { return max_instances + 1; }

// A child that ended by its own count while Gatehouse still held its
// connection would fail the next request sent there, so php-cgi never counts.
std::vector<std::string> worker_environment(const config::FastCgi& fastcgi) {
  std::vector<std::string> env;
  for (const auto& [name, value] : fastcgi.environment)
    if (name != "PHP_FCGI_MAX_REQUESTS" && name != "PHP_FCGI_CHILDREN") env.push_back(name + "=" + value);
  env.push_back("PHP_FCGI_CHILDREN=" + std::to_string(children_for(fastcgi.max_instances)));
  env.push_back("PHP_FCGI_MAX_REQUESTS=0");
  return env;
}

std::vector<std::string> worker_php_defines(const config::Pool& pool, const std::filesystem::path& private_dir) {
  std::vector<std::string> defines = {"opcache.validate_permission=1", "opcache.validate_root=1"};
  if (private_dir.empty()) return defines;
  // OPcache's lock file and PHP's temporary files go to /tmp unless told: a
  // sandboxed worker may not write there, and OPcache stops the process when
  // it cannot make its lock. The worker set's own folder is private to it.
  for (const char* name : {"opcache.lockfile_path", "sys_temp_dir"})
    if (!pool.ini.values.contains(name)) defines.push_back(std::string(name) + "=" + private_dir.string());
  return defines;
}

SpawnSpec make_spawn_spec(const config::Pool& pool, accounts::Identity credentials) {
  SpawnSpec spec;
  spec.php_defines = worker_php_defines(pool, {});
  spec.pool = pool.name;
  spec.php_cgi = pool.php_cgi;
  spec.php_ini = pool.php_ini;
  spec.umask = pool.umask;
  spec.environment = worker_environment(pool.fastcgi);
  spec.credentials = std::move(credentials);
  return spec;
}

Status ensure_socket_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return std::unexpected(Error::sys("mkdir", dir));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) < 0) return std::unexpected(Error::sys("lstat", dir));
  if (!S_ISDIR(st.st_mode))
    return std::unexpected(Error::logic("use socket folder", dir, "not a directory (or a symlink)"));
  if (st.st_uid != ::geteuid())
    return std::unexpected(Error::logic(
        "use socket folder", dir, fmt::format("owned by uid {}, not by the server (uid {})", st.st_uid, ::geteuid())));
  if ((st.st_mode & 07777) != 0700)
    return std::unexpected(
        Error::logic("use socket folder", dir, fmt::format("mode {:04o}, must be 0700", st.st_mode & 07777)));
  return {};
}

const char* child_step_name(std::int32_t step) {
  switch (static_cast<ChildStep>(step)) {
    case ChildStep::Dup:
      return "set up fds";
    case ChildStep::Chdir:
      return "chdir /";
    case ChildStep::Setsid:
      return "setsid";
    case ChildStep::ParentDeathSignal:
      return "prctl(PR_SET_PDEATHSIG)";
    case ChildStep::DropPrivileges:
      return "drop privileges";
    case ChildStep::Exec:
      return "execve";
    case ChildStep::JoinCgroup:
      return "join the pool's cgroup";
    case ChildStep::Landlock:
      return "landlock_restrict_self";
  }
  return "unknown step";
}

Error child_report_error(const SpawnSpec& spec, const ChildReport& report) {
  Error error = Error::sys(child_step_name(report.step), spec.php_cgi.string(), report.errnum);
  if (static_cast<ChildStep>(report.step) == ChildStep::DropPrivileges) {
    accounts::DropResult dropped{static_cast<accounts::DropStep>(report.drop_step), report.errnum};
    const auto& cred = spec.credentials;
    std::string account = cred.switches() ? cred.name : "uid " + std::to_string(::geteuid());
    error = accounts::drop_error(dropped, account);
  }
  error.context = "[pool " + spec.pool + "]";
  return error;
}

Result<SpawnedWorker> spawn_worker(const SpawnSpec& spec, const std::filesystem::path& socket_path) {
  auto with_pool = [&](Error e) {
    e.context = "[pool " + spec.pool + "]";
    return std::unexpected(std::move(e));
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.native().size() >= sizeof addr.sun_path)
    return with_pool(Error::logic("bind", socket_path, "socket path longer than 107 bytes"));
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.native().size());

  auto listener = listen_at(socket_path, addr);
  if (!listener) return with_pool(listener.error());
  auto connection = connect_to(socket_path, addr);
  if (!connection) return with_pool(connection.error());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return with_pool(Error::sys("pipe2", ""));
  UniqueFd read_end(pipe_fds[0]);
  auto write_end = above_stdio(UniqueFd(pipe_fds[1]), "pipe2");
  if (!write_end) return with_pool(write_end.error());

  // Everything the child reads is built here: no allocation after fork.
  std::vector<std::string> args = {"php-cgi"};
  if (!spec.php_ini.empty()) args.insert(args.end(), {"-c", spec.php_ini.string()});
  for (const auto& define : spec.php_defines) args.insert(args.end(), {"-d", define});
  sandbox::Ruleset ruleset;
  if (spec.sandbox) {
    auto built = sandbox::Ruleset::build(*spec.sandbox);
    if (!built) return with_pool(built.error());
    ruleset = std::move(*built);
  }
  std::vector<std::string> env = spec.environment;
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  const auto& cred = spec.credentials;
  ChildPlan plan{spec.php_cgi.c_str(),
                 argv.data(),
                 envp.data(),
                 listener->get(),
                 write_end->get(),
                 static_cast<mode_t>(spec.umask & 0777),
                 cred.switches(),
                 cred.uid,
                 cred.gid,
                 cred.groups.data(),
                 cred.groups.size(),
                 ::getpid(),
                 ruleset.fd(),
                 spec.cgroup_procs.data(),
                 spec.cgroup_procs.size()};

  auto [pid, fork_errno] = fork_child(plan);
  if (pid < 0) return with_pool(Error::sys("fork", spec.php_cgi, fork_errno));
  write_end->reset();
  listener->reset();

  // glibc 2.36 declares pidfd_open without extern "C": call the syscall.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    Error e = Error::sys("pidfd_open", std::to_string(pid));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return with_pool(std::move(e));
  }
  return SpawnedWorker{pid, std::move(*connection), std::move(read_end), std::move(pidfd), socket_path};
}

}  // namespace gatehouse::pool

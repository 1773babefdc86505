// posix_spawn wrapper for the account tools; see command.hpp.
#include "accounts/command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "common/unique_fd.hpp"

namespace gatehouse::accounts {
namespace {

// Owns posix_spawn_file_actions_t.
class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::string read_all(int fd) {
  std::string out;
  std::array<char, 4096> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      out.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

Result<int> wait_for(pid_t pid, const std::string& what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(Error::sys("waitpid", what));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

Result<CommandResult> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::unexpected(Error::logic("run", "", "empty command"));
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) < 0) return std::unexpected(Error::sys("pipe", argv[0]));
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  FileActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 2);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fixed environment: the tools must not see the server's (LD_*, locale).
  std::array<char*, 3> env = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), const_cast<char*>("LC_ALL=C"),
                              nullptr};

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), actions.get(), nullptr, args.data(), env.data());
  if (rc != 0) return std::unexpected(Error::sys("spawn", argv[0], rc));
  write_end.reset();  // so read_all sees EOF when the child exits

  CommandResult result;
  result.output = read_all(read_end.get());
  auto code = wait_for(pid, argv[0]);
  if (!code) return std::unexpected(code.error());
  result.exit_code = *code;
  while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == ' ')) {
    result.output.pop_back();
  }
  return result;
}

Error command_error(const std::vector<std::string>& argv, const CommandResult& result) {
  std::string target = argv.empty() ? "" : argv.back();
  std::string tool = argv.empty() ? "command" : argv.front().substr(argv.front().rfind('/') + 1);
  std::string detail = "exit " + std::to_string(result.exit_code);
  if (!result.output.empty()) detail += ": " + result.output;
  return Error::logic(tool, target, detail);
}

}  // namespace gatehouse::accounts

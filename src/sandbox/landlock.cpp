// Landlock rulesets: built in the parent with landlock_create_ruleset and
// landlock_add_rule (linux/landlock.h of Debian 12 stops at ABI 2: the later
// bits are defined here from the kernel's UAPI), entered in the child.
#include "sandbox/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace gatehouse::sandbox {
namespace {

constexpr std::uint64_t kTruncate = 1ULL << 14;          // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;          // ABI 5
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;         // ABI 4
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;        // ABI 6

// The kernel's struct landlock_ruleset_attr as of ABI 6; its size tells the
// kernel which fields we know, so it is passed cut to the running ABI.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};

constexpr std::uint64_t kFileRights =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | kIoctlDev;
constexpr std::uint64_t kReadRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr std::uint64_t kWriteRights =
    LANDLOCK_ACCESS_FS_WRITE_FILE | kTruncate | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM |
    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_REFER;

std::uint64_t handled_fs(int abi) {
  std::uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0-12
  if (abi >= 2) all |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

std::size_t attr_size(int abi) {
  if (abi >= 6) return sizeof(RulesetAttr);
  if (abi >= 4) return offsetof(RulesetAttr, scoped);
  return offsetof(RulesetAttr, handled_access_net);
}

std::uint64_t rights_of(std::uint8_t access, bool is_dir) {
  std::uint64_t out = 0;
  if (access & Access::kRead) out |= kReadRights;
  if (access & Access::kWrite) out |= kReadRights | kWriteRights;
  if (access & Access::kExecute) out |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE;
  return is_dir ? out : out & kFileRights;  // a rule on a file may carry file rights only
}

}  // namespace

int landlock_abi() noexcept {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

Ruleset::Ruleset(Ruleset&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), abi_(other.abi_), skipped_(std::move(other.skipped_)) {}

Ruleset& Ruleset::operator=(Ruleset&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    abi_ = other.abi_;
    skipped_ = std::move(other.skipped_);
  }
  return *this;
}

Ruleset::~Ruleset() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Ruleset> Ruleset::build(const Spec& spec) {
  Ruleset out;
  out.abi_ = landlock_abi();
  if (!spec.enabled || out.abi_ == 0) return out;
  RulesetAttr attr;
  attr.handled_access_fs = handled_fs(out.abi_);
  attr.handled_access_net = out.abi_ >= 4 ? kNetBindTcp : 0;
  attr.scoped = out.abi_ >= 6 ? (kScopeAbstractUnix | kScopeSignal) : 0;
  long fd = ::syscall(SYS_landlock_create_ruleset, &attr, attr_size(out.abi_), 0);
  if (fd < 0) return std::unexpected(Error::sys("landlock_create_ruleset", "ABI " + std::to_string(out.abi_)));
  out.fd_ = static_cast<int>(fd);
  for (const auto& rule : spec.rules) {
    int path_fd = ::open(rule.path.c_str(), O_PATH | O_CLOEXEC);
    if (path_fd < 0) {
      if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
        return std::unexpected(Error::sys("open (for Landlock)", rule.path));
      out.skipped_.push_back(rule.path.string());
      continue;
    }
    struct stat st {};
    ::fstat(path_fd, &st);
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rights_of(rule.access, S_ISDIR(st.st_mode)) & attr.handled_access_fs;
    beneath.parent_fd = path_fd;
    long added = ::syscall(SYS_landlock_add_rule, out.fd_, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
    int saved = errno;
    ::close(path_fd);
    if (added < 0) return std::unexpected(Error::sys("landlock_add_rule", rule.path, saved));
  }
  return out;
}

int restrict_self(int ruleset_fd) noexcept {
  if (ruleset_fd < 0) return 0;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return errno;
  if (::syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0) return errno;
  return 0;
}

}  // namespace gatehouse::sandbox

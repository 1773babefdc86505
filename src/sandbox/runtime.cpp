// The PHP runtime's part of every worker's sandbox.
#include "sandbox/runtime.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>

namespace gatehouse::sandbox {
namespace {

// Read-only trees and files PHP and the C library open at run time. Missing
// ones are skipped when the ruleset is built.
constexpr std::array kReadOnly = {
    "/usr/lib",
    "/lib",
    "/lib64",
    "/usr/lib64",
    "/usr/local/lib",  // shared libraries, PHP extensions
    "/etc/ld.so.cache",
    "/etc/php",
    "/usr/share/php",
    "/usr/share/zoneinfo",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl",
    "/usr/share/ca-certificates",
    "/usr/lib/ssl",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/resolv.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/mime.types",
    "/etc/mysql",
    "/usr/share/mysql",
    "/usr/share/icu",
    "/etc/magic",
    "/usr/share/misc/magic.mgc",
    "/usr/share/file",
    "/etc/ImageMagick-6",
    "/usr/share/fonts",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
    "/sys/devices/system/cpu",  // sysconf(_SC_NPROCESSORS_ONLN)
};
constexpr std::array kReadWrite = {"/dev/null"};

}  // namespace

Path elf_interpreter(const Path& executable) {
  int fd = ::open(executable.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  Path out;
  Elf64_Ehdr eh{};
  if (::pread(fd, &eh, sizeof eh, 0) == sizeof eh && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
      eh.e_phentsize == sizeof(Elf64_Phdr)) {
    for (unsigned i = 0; i < eh.e_phnum && i < 64; ++i) {
      Elf64_Phdr ph{};
      if (::pread(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) != sizeof ph) break;
      if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
      std::string interp(ph.p_filesz, '\0');
      if (::pread(fd, interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) == ssize_t(interp.size()))
        out = interp.c_str();  // stops at the terminating NUL
      break;
    }
  }
  ::close(fd);
  return out;
}

void add_php_runtime(Spec& spec, const config::Pool& pool) {
  const std::string runtime = "PHP runtime";
  spec.add(pool.php_cgi, Access::kRead | Access::kExecute, "php_cgi of pool " + pool.name);
  if (auto interp = elf_interpreter(pool.php_cgi); !interp.empty())
    spec.add(interp, Access::kRead | Access::kExecute, "ELF interpreter of " + pool.php_cgi.string());
  if (!pool.php_ini.empty()) spec.add(pool.php_ini, Access::kRead, "php_ini of pool " + pool.name);
  for (const char* p : kReadOnly) spec.add(p, Access::kRead, runtime);
  for (const char* p : kReadWrite) spec.add(p, Access::kRead | Access::kWrite, runtime);
  const std::string own = "[pools.sandbox] of pool " + pool.name;
  for (const auto& p : pool.sandbox.read) spec.add(p, Access::kRead, own + " (read)");
  for (const auto& p : pool.sandbox.write) spec.add(p, Access::kRead | Access::kWrite, own + " (write)");
  for (const auto& p : pool.sandbox.execute) spec.add(p, Access::kRead | Access::kExecute, own + " (execute)");
  spec.enabled = pool.sandbox.enabled;
}

}  // namespace gatehouse::sandbox

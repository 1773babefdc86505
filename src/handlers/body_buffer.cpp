// BodyBuffer: memory, then an unlinked file; see body_buffer.hpp.
#include "handlers/body_buffer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace gatehouse::handlers {
namespace {

Status write_all(int fd, std::string_view data, const std::filesystem::path& dir) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(Error::sys("write request body", dir.string()));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

BodyBuffer::~BodyBuffer() {
  if (fd_ >= 0) ::close(fd_);
}

Status BodyBuffer::spill() {
  fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) return std::unexpected(Error::sys("open temporary file", dir_.string()));
  auto ok = write_all(fd_, memory_, dir_);
  memory_ = std::string();  // give the memory back
  return ok;
}

Status BodyBuffer::append(std::string_view chunk) {
  size_ += chunk.size();
  if (fd_ < 0 && memory_.size() + chunk.size() <= kInMemory) {
    memory_.append(chunk);
    return {};
  }
  if (fd_ < 0)
    if (auto ok = spill(); !ok) return ok;
  return write_all(fd_, chunk, dir_);
}

Result<std::string_view> BodyBuffer::read(std::uint64_t offset, std::size_t max, std::string& scratch) const {
  if (offset >= size_) return std::string_view{};
  auto want = static_cast<std::size_t>(std::min<std::uint64_t>(max, size_ - offset));
  if (fd_ < 0) return std::string_view(memory_).substr(static_cast<std::size_t>(offset), want);
  scratch.resize(want);
  std::size_t got = 0;
  while (got < want) {
    auto n = ::pread(fd_, scratch.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(Error::sys("read request body", dir_.string(), n < 0 ? errno : EIO));
    got += static_cast<std::size_t>(n);
  }
  return std::string_view(scratch);
}

}  // namespace gatehouse::handlers

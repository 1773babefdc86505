// A request body held whole before a PHP worker is taken (nginx's
// fastcgi_request_buffering): a slow or trickling client then holds only its
// connection, never a worker, and a chunked body gets a CONTENT_LENGTH.
// Bytes stay in memory up to kInMemory, then go to an unlinked temporary file
// (O_TMPFILE, 0600) in a folder only the server can enter, so no other
// account can ever open it by name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace gatehouse::handlers {

class BodyBuffer {
 public:
  static constexpr std::size_t kInMemory = 64 * 1024;

  // `dir`: where the file goes past kInMemory.
  explicit BodyBuffer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  BodyBuffer(const BodyBuffer&) = delete;
  BodyBuffer& operator=(const BodyBuffer&) = delete;
  ~BodyBuffer();

  Status append(std::string_view chunk);
  std::uint64_t size() const { return size_; }
  bool in_file() const { return fd_ >= 0; }

  // Up to `max` bytes from `offset`: a view into memory, or into `scratch`
  // filled from the file.
  Result<std::string_view> read(std::uint64_t offset, std::size_t max, std::string& scratch) const;

 private:
  Status spill();

  std::filesystem::path dir_;
  std::string memory_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace gatehouse::handlers

// The static file handler: resolves a routed request to an open file (or a
// redirect, a script for the PHP handler, or an error) and plans the answer
// (200/206/304/412/416) from the conditional and Range headers.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/identity.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "config/model.hpp"
#include "handlers/etag.hpp"
#include "handlers/range.hpp"

namespace gatehouse::handlers {

// A physical root (application or virtual directory), held open so every
// open below it is resolved beneath it (openat2 RESOLVE_BENEATH).
class RootDir {
 public:
  static Result<RootDir> open(const config::Path& path);
  int fd() const { return fd_.get(); }
  const config::Path& path() const { return path_; }

 private:
  RootDir(UniqueFd fd, config::Path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  config::Path path_;
};

// An open file or directory and its stat; closes on destruction.
class OpenFile {
 public:
  OpenFile() = default;
  OpenFile(int fd, const struct stat& st) : fd_(fd), st_(st) {}
  int fd() const { return fd_.get(); }
  const struct stat& stat() const { return st_; }
  bool is_directory() const { return S_ISDIR(st_.st_mode); }
  bool is_regular() const { return S_ISREG(st_.st_mode); }

 private:
  UniqueFd fd_;
  struct stat st_ {};
};

// THE one place a request opens a file. Symlinks are followed as long as
// they stay below `root` (IIS follows them; escaping gives EXDEV). Errors
// keep errno: EACCES means the identity was denied (401.3). With an identity
// that switches (per-thread fsuid, fsgid and groups, so the kernel decides),
// the open runs under accounts::ThreadCredentials, and first
// checks that the identity may traverse root's path from "/" (root's fd was
// opened by the server, so a walk beneath it would skip the ancestors); a
// failure to switch credentials is op "assume credentials" (answer 500).
Result<OpenFile> open_for_request(const RootDir& root, std::string_view relative, const accounts::Identity& who);

// True when a segment of `url_path` ends in one of `extensions` (".php"):
// such a request belongs to the script handler, never to static files, so
// PHP source is never sent (also not /x.php/y, which is PATH_INFO).
bool names_script(std::string_view url_path, const std::vector<std::string>& extensions);

struct StaticRequest {
  std::string_view url_path;  // canonical, decoded: "/docs/a.html" or "/docs/"
  std::string_view relative;  // the part below the root: "a.html", "" for the root
  const std::vector<std::string>* default_documents = nullptr;
  const std::vector<std::string>* script_extensions = nullptr;
};

enum class Outcome { File, Redirect, Script, Error };

struct Resolved {
  Outcome outcome = Outcome::Error;
  OpenFile file;                  // File
  std::string_view content_type;  // File
  std::string target;             // Redirect: url path with a slash; Script: url path of the script
  unsigned status = 0;            // Error: 404, 403, 401, 500
  unsigned substatus = 0;         // IIS substatus: 404.3, 403.14, 401.3
  int win32 = 0;                  // errno behind the error, for sc-win32-status
};

Resolved resolve_static(const RootDir& root, const StaticRequest& request, const accounts::Identity& who);

// What a response says about a file, computed once per file version.
struct Validators {
  std::uint64_t size = 0;
  std::time_t mtime = 0;
  ETag etag;
  char last_modified[kHttpDateSize + 1] = {};
};
Validators make_validators(const struct stat& st);

struct StaticResponse {
  unsigned status = 200;  // 200, 206, 304, 412, 416
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // bytes of body to send (before HEAD is applied)
};

// The answer for a GET/HEAD of a file, given the request's conditional and Range headers.
StaticResponse plan_response(const Validators& file, const Conditions& conditions, std::string_view range);

}  // namespace gatehouse::handlers

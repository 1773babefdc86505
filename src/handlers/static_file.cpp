// Static file resolution: opening beneath the physical root, default
// documents, trailing-slash redirects, and the 200/206/304/412/416 plan.
#include "handlers/static_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "accounts/credentials.hpp"
#include "handlers/mime.hpp"

namespace gatehouse::handlers {
namespace {

constexpr std::string_view kAssumeOp = "assume credentials";

int openat2_beneath(int dirfd, const char* path, int flags) {
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

bool iends_with(std::string_view s, std::string_view suffix) {
  if (suffix.size() > s.size()) return false;
  auto tail = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char a = tail[i], b = suffix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

Resolved error_for(const Error& e) {
  Resolved r;
  r.win32 = e.errnum;
  if (e.op == kAssumeOp) {  // not a denial: the server could not act as the identity at all
    r.status = 500;
    return r;
  }
  switch (e.errnum) {
    case EACCES:
    case EPERM:
      r.status = 401;
      r.substatus = 3;  // IIS: denied by the ACL on the resource
      break;
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case EXDEV:  // a symlink that leads out of the root
    case ENAMETOOLONG:
      r.status = 404;
      break;
    default:
      r.status = 500;
  }
  return r;
}

Resolved error_status(unsigned status, unsigned substatus) {
  Resolved r;
  r.status = status;
  r.substatus = substatus;
  return r;
}

Resolved serve_file(OpenFile file, std::string_view name) {
  if (!file.is_regular()) return error_status(404, 0);  // devices, fifos, sockets
  auto type = mime_type_for(name);
  if (!type) return error_status(404, 3);  // IIS: no MIME map for the extension
  Resolved r;
  r.outcome = Outcome::File;
  r.file = std::move(file);
  r.content_type = *type;
  return r;
}

Resolved default_document(const RootDir& root, const StaticRequest& req, const accounts::Identity& who) {
  std::string rel(req.relative);
  for (const auto& doc : *req.default_documents) {
    std::string candidate = rel + doc;
    if (names_script(doc, *req.script_extensions)) {
      // The script handler opens (and checks) it itself; here only whether it exists.
      auto f = open_for_request(root, candidate, who);
      if (!f) continue;
      Resolved r;
      r.outcome = Outcome::Script;
      r.target = std::string(req.url_path) + doc;
      return r;
    }
    auto f = open_for_request(root, candidate, who);
    if (!f) {
      if (f.error().errnum == EACCES || f.error().errnum == EPERM) return error_for(f.error());
      continue;
    }
    if (f->is_regular()) return serve_file(std::move(*f), doc);
  }
  return error_status(403, 14);  // IIS: directory listing denied
}

}  // namespace

Result<RootDir> RootDir::open(const config::Path& path) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(Error::sys("open", path.string()));
  return RootDir(UniqueFd(fd), path);
}

namespace {

// Opens beneath `root` with the calling thread's current credentials.
Result<OpenFile> open_beneath(const RootDir& root, std::string_view relative) {
  char path[4096];
  if (relative.size() + 2 > sizeof path)
    return std::unexpected(Error::sys("open", std::string(relative), ENAMETOOLONG));
  std::size_t n = 0;
  if (relative.empty()) path[n++] = '.';
  relative.copy(path + n, relative.size());
  n += relative.size();
  path[n] = '\0';
  // O_NONBLOCK: opening a fifo must not block the I/O thread.
  int fd = openat2_beneath(root.fd(), path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::unexpected(Error::sys("open", (root.path() / std::string(relative)).string()));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return std::unexpected(Error::sys("fstat", (root.path() / std::string(relative)).string(), e));
  }
  return OpenFile(fd, st);
}

}  // namespace

Result<OpenFile> open_for_request(const RootDir& root, std::string_view relative, const accounts::Identity& who) {
  if (!who.switches()) return open_beneath(root, relative);
  auto guard = accounts::ThreadCredentials::assume(who);
  if (!guard) {
    Error e = guard.error();
    e.detail = e.op + " failed";
    e.op = std::string(kAssumeOp);
    e.target = who.name;
    return std::unexpected(std::move(e));
  }
  // The kernel walks root's path as the identity: search permission on every
  // ancestor and on root itself (AT_EACCESS: fsuid/fsgid and groups, not the real ids).
  // Raw faccessat2: glibc may emulate AT_EACCESS from the effective uid, which stays 0 here.
  if (::syscall(SYS_faccessat2, AT_FDCWD, root.path().c_str(), X_OK, AT_EACCESS) != 0)
    return std::unexpected(Error::sys("open", (root.path() / std::string(relative)).string()));
  return open_beneath(root, relative);
}

bool names_script(std::string_view url_path, const std::vector<std::string>& extensions) {
  while (!url_path.empty()) {
    auto slash = url_path.find('/');
    auto segment = url_path.substr(0, slash);
    for (const auto& ext : extensions)
      if (segment.size() > ext.size() && iends_with(segment, ext)) return true;
    if (slash == std::string_view::npos) break;
    url_path.remove_prefix(slash + 1);
  }
  return false;
}

Resolved resolve_static(const RootDir& root, const StaticRequest& req, const accounts::Identity& who) {
  auto file = open_for_request(root, req.relative, who);
  if (!file) return error_for(file.error());
  if (file->is_directory()) {
    if (!req.url_path.ends_with('/')) {
      Resolved r;
      r.outcome = Outcome::Redirect;
      r.target = std::string(req.url_path) + "/";
      return r;
    }
    return default_document(root, req, who);
  }
  if (req.relative.ends_with('/')) return error_status(404, 0);  // "file.txt/" is not a file
  return serve_file(std::move(*file), req.relative);
}

Validators make_validators(const struct stat& st) {
  Validators v;
  v.size = static_cast<std::uint64_t>(st.st_size);
  v.mtime = st.st_mtim.tv_sec;
  v.etag = make_etag(st);
  format_http_date(st.st_mtim.tv_sec, v.last_modified);
  return v;
}

StaticResponse plan_response(const Validators& file, const Conditions& conditions, std::string_view range) {
  StaticResponse r;
  switch (evaluate(conditions, file.etag.view(), file.mtime)) {
    case Precondition::NotModified:
      r.status = 304;
      return r;
    case Precondition::Failed:
      r.status = 412;
      return r;
    case Precondition::Proceed:
      break;
  }
  r.length = file.size;
  if (range.empty() || !if_range_allows(conditions.if_range, file.etag.view(), file.mtime)) return r;
  auto parsed = parse_range(range, file.size);
  if (parsed.kind == RangeKind::Unsatisfiable) {
    r.status = 416;
    r.length = 0;
  } else if (parsed.kind == RangeKind::Partial) {
    r.status = 206;
    r.offset = parsed.range.first;
    r.length = parsed.range.length;
  }
  return r;
}

}  // namespace gatehouse::handlers

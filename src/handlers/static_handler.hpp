// The static file handler as one function: (request, identity) to (status,
// head fields, body source). The transport writes what it returns; a default
// document that is a script goes to the PHP handler instead.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "accounts/identity.hpp"
#include "handlers/file_cache.hpp"
#include "handlers/port.hpp"
#include "handlers/request.hpp"
#include "handlers/site_map.hpp"
#include "handlers/static_file.hpp"

namespace gatehouse::handlers {

struct StaticAnswer {
  enum class Kind {
    Response,  // status, fields() and a body source below
    Script,    // `target` (a default document) belongs to the PHP handler
    Error,     // status.substatus: an error page; `allow` set for 405
  };
  Kind kind = Kind::Error;
  unsigned status = 0;
  unsigned substatus = 0;
  int win32 = 0;           // errno behind an error, for sc-win32-status
  std::string target;      // Script: url path; Response 301: Location
  std::string_view allow;  // Error 405: the Allow header

  // Response: the head, then `length` bytes from offset `offset` of
  // `bytes` (a cached copy) or else of `file`. HEAD sends no body.
  std::uint64_t length = 0;
  std::uint64_t offset = 0;
  const std::string* bytes = nullptr;
  OpenFile file;
  bool has_validators = false;
  Validators validators;  // copied: a cache entry may go while the response waits
  std::string_view content_type;
  char content_range[64] = {};

  // The head's fields (views into this answer): valid while it lives, unmoved.
  std::size_t fields(std::array<HeaderView, 6>& out) const;
};

// GET/HEAD of `match` (already routed and authorized) as `who`. Small files
// come from `cache` (this thread's), larger ones are opened per request.
StaticAnswer serve_static(const Request& request, std::string_view url_path, const MountMatch& match,
                          const config::Site& site, const accounts::Identity& who, FileCache& cache);

}  // namespace gatehouse::handlers

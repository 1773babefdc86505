// --path-map: Windows folders to Linux folders. The longest matching prefix
// wins, compared case-insensitively (as NTFS does) on whole path segments.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::iis {

class PathMap {
 public:
  // "C:\inetpub\wwwroot=/srv/www": the Linux side starts at the first "=/".
  std::expected<void, std::string> add(std::string_view spec);
  void add(std::string_view windows, std::string_view linux_path);

  // The Linux path for a Windows path, or why there is none (a UNC share, a
  // ".." segment, an unknown %VARIABLE%, no prefix given).
  std::expected<std::string, std::string> map(std::string_view windows) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string windows;  // normalised: forward slashes, lower case, no trailing '/'
    std::string linux_path;
  };
  std::vector<Entry> entries_;
};

// Forward slashes, %SystemDrive% and friends expanded, repeated and trailing
// slashes removed; the case is kept.
std::expected<std::string, std::string> normalise_windows_path(std::string_view path);

}  // namespace gatehouse::iis

// Reading IIS XML safely: a size cap, no DOCTYPE or entity declaration at all
// (so entity expansion and external entities can never happen), and positions
// as file:line:column computed from pugixml's byte offsets.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace gatehouse::iis {

// A real applicationHost.config with hundreds of sites is well under 1 MiB.
inline constexpr std::size_t kMaxInputBytes = 8u << 20;

// Why an input could not be read: "web.config:12:7: ...".
struct InputError {
  std::string file;
  int line = 0;  // 0: the file as a whole
  int column = 0;
  std::string message;
  std::string str() const;
};

class XmlFile {
 public:
  const std::string& name() const { return name_; }
  const pugi::xml_document& doc() const { return doc_; }
  // 1-based line of a byte offset into the text, and of a node.
  int line_of(std::ptrdiff_t offset) const;
  int column_of(std::ptrdiff_t offset) const;
  int line(const pugi::xml_node& node) const;

  friend std::expected<std::unique_ptr<XmlFile>, InputError> parse_xml(std::string name, std::string text);

 private:
  std::string name_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
  pugi::xml_document doc_;
};

using XmlResult = std::expected<std::unique_ptr<XmlFile>, InputError>;

// `name` is used in positions. Refuses input over kMaxInputBytes, UTF-16/32,
// any DOCTYPE or ENTITY declaration, and malformed XML.
XmlResult parse_xml(std::string name, std::string text);
// Reads at most kMaxInputBytes + 1 bytes, so a huge file is refused without being read.
XmlResult read_xml(const std::filesystem::path& file);

}  // namespace gatehouse::iis

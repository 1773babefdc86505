// Safe XML loading for the IIS import (see xml_input.hpp).
#include "iis/xml_input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace gatehouse::iis {
namespace {

bool starts_with_bytes(const std::string& text, std::initializer_list<unsigned char> bytes) {
  if (text.size() < bytes.size()) return false;
  return std::equal(bytes.begin(), bytes.end(), text.begin(),
                    [](unsigned char b, char c) { return b == static_cast<unsigned char>(c); });
}

// Offset of the first "<!DOCTYPE" or "<!ENTITY" (any case), or npos. Refusing
// them outright, wherever they are, keeps every entity trick out.
std::size_t find_declaration(const std::string& text) {
  for (std::size_t at = text.find("<!"); at != std::string::npos; at = text.find("<!", at + 2)) {
    for (std::string_view word : {"DOCTYPE", "ENTITY"}) {
      if (text.size() - at - 2 < word.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < word.size() && same; ++i)
        same = std::toupper(static_cast<unsigned char>(text[at + 2 + i])) == word[i];
      if (same) return at;
    }
  }
  return std::string::npos;
}

}  // namespace

std::string InputError::str() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  return out + ": " + message;
}

int XmlFile::line_of(std::ptrdiff_t offset) const {
  if (offset < 0) return 0;
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<std::size_t>(offset));
  return static_cast<int>(it - line_starts_.begin());
}

int XmlFile::column_of(std::ptrdiff_t offset) const {
  const int line = line_of(offset);
  if (line <= 0) return 0;
  return static_cast<int>(static_cast<std::size_t>(offset) - line_starts_[line - 1]) + 1;
}

int XmlFile::line(const pugi::xml_node& node) const { return line_of(node.offset_debug()); }

XmlResult parse_xml(std::string name, std::string text) {
  auto fail = [&](int line, int column, std::string message) {
    return std::unexpected(InputError{name, line, column, std::move(message)});
  };
  if (text.size() > kMaxInputBytes)
    return fail(0, 0, "file too large (over " + std::to_string(kMaxInputBytes) + " bytes); refused");
  if (starts_with_bytes(text, {0xFF, 0xFE}) || starts_with_bytes(text, {0xFE, 0xFF}) ||
      (text.size() >= 2 && (text[0] == '\0' || text[1] == '\0')))
    return fail(0, 0, "UTF-16 or UTF-32 input; convert it first (iconv -f UTF-16 -t UTF-8)");

  auto file = std::unique_ptr<XmlFile>(new XmlFile);
  file->name_ = name;
  file->text_ = std::move(text);
  file->line_starts_.push_back(0);
  for (std::size_t i = 0; i < file->text_.size(); ++i)
    if (file->text_[i] == '\n') file->line_starts_.push_back(i + 1);

  if (const std::size_t at = find_declaration(file->text_); at != std::string::npos)
    return fail(file->line_of(at), file->column_of(at),
                "DOCTYPE or ENTITY declaration refused: IIS configuration files have none, and entities "
                "could expand without bound or read other files");
  // parse_default has no parse_doctype: a DTD is never interpreted; the text
  // stays in memory beside the tree so node offsets map back to lines.
  const pugi::xml_parse_result result =
      file->doc_.load_buffer(file->text_.data(), file->text_.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result)
    return fail(file->line_of(result.offset), file->column_of(result.offset),
                std::string{"XML error: "} + result.description());
  if (!file->doc_.document_element()) return fail(0, 0, "no root element");
  return file;
}

XmlResult read_xml(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec))
    return std::unexpected(
        InputError{path.string(), 0, 0,
                   std::string{"cannot read: "} +
                       (std::filesystem::is_directory(path, ec) ? "it is a folder" : std::strerror(errno))});
  std::string text(kMaxInputBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_xml(path.string(), std::move(text));
}

}  // namespace gatehouse::iis

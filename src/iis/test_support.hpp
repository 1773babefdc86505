// Helpers for the IIS import tests: fixture paths, parsing inline XML, and the
// options the fixtures are written for.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "iis/import.hpp"
#include "iis/xml_input.hpp"

namespace gatehouse::iis::testing_support {

inline std::string fixture(const std::string& name) {
  return std::string(GH_SOURCE_DIR) + "/tests/fixtures/iis/" + name;
}

inline std::unique_ptr<XmlFile> xml(const std::string& text, const std::string& name = "test.config") {
  auto parsed = parse_xml(name, text);
  if (!parsed) ADD_FAILURE() << parsed.error().str();
  return parsed ? std::move(*parsed) : nullptr;
}

inline std::unique_ptr<XmlFile> load(const std::string& name) {
  auto parsed = read_xml(fixture(name));
  if (!parsed) ADD_FAILURE() << parsed.error().str();
  return parsed ? std::move(*parsed) : nullptr;
}

// The --path-map and --user-map the rich fixture is written for.
inline ImportOptions fixture_options() {
  ImportOptions o;
  for (const char* spec :
       {"C:\\Sites=/srv/sites", "C:\\inetpub\\wwwroot=/srv/www", "D:\\Media=/srv/media", "C:\\PHP=/etc/gatehouse/php"})
    EXPECT_TRUE(o.paths.add(spec));
  return o;
}

// The report items whose element contains `element`.
inline std::vector<Item> items(const Report& r, std::string_view element) {
  std::vector<Item> out;
  std::copy_if(r.items().begin(), r.items().end(), std::back_inserter(out),
               [&](const Item& i) { return i.element.find(element) != std::string::npos; });
  return out;
}

}  // namespace gatehouse::iis::testing_support

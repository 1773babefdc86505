// Hostile and broken XML: refused before any entity can be expanded or any
// external file read, with file:line:column.
#include "iis/xml_input.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "iis/test_support.hpp"

namespace gatehouse::iis {
namespace {

using ::testing::HasSubstr;
using testing_support::fixture;

TEST(XmlInput, BillionLaughsIsRefusedAtItsDoctype) {
  const auto start = std::chrono::steady_clock::now();
  auto r = read_xml(fixture("hostile/billion-laughs.config"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 2);
  EXPECT_EQ(r.error().column, 1);
  EXPECT_THAT(r.error().str(), HasSubstr("billion-laughs.config:2:1: DOCTYPE or ENTITY declaration refused"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(XmlInput, ExternalEntityIsRefusedAndNeverRead) {
  auto r = read_xml(fixture("hostile/external-entity.config"));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("DOCTYPE or ENTITY declaration refused"));
}

TEST(XmlInput, AnEntityDeclarationAloneIsRefusedInAnyCase) {
  auto r = parse_xml("x.config", "<configuration>\n  <!entity x \"y\">\n</configuration>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 2);
  EXPECT_EQ(r.error().column, 3);
}

TEST(XmlInput, AnUndeclaredEntityIsAnErrorNotAnExpansion) {
  auto r = parse_xml("x.config", "<configuration><add name=\"&lol9;\"/></configuration>");
  // pugixml leaves unknown entities as text; nothing expands either way.
  ASSERT_TRUE(r);
  EXPECT_STREQ((*r)->doc().document_element().child("add").attribute("name").value(), "&lol9;");
}

TEST(XmlInput, MalformedXmlNamesLineAndColumn) {
  auto r = read_xml(fixture("hostile/malformed.config"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 6);
  EXPECT_GT(r.error().column, 1);
  EXPECT_THAT(r.error().message, HasSubstr("XML error: Start-end tags mismatch"));
}

TEST(XmlInput, AHugeFileIsRefusedWithoutReadingItAll) {
  const auto path = std::filesystem::temp_directory_path() / "gh-iis-huge.config";
  {
    std::ofstream out(path, std::ios::binary);
    out << "<configuration>";
    const std::string filler(1 << 20, ' ');
    for (std::size_t i = 0; i <= kMaxInputBytes / filler.size(); ++i) out << filler;
    out << "</configuration>";
  }
  auto r = read_xml(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("file too large"));
}

TEST(XmlInput, Utf16IsRefusedWithAHint) {
  auto r = parse_xml("u.config", std::string("\xFF\xFE<\0c\0", 6));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("iconv"));
}

TEST(XmlInput, NodeLinesComeFromOffsets) {
  auto r = parse_xml("x.config", "<configuration>\n\n  <a/>\n  <b/>\n</configuration>\n");
  ASSERT_TRUE(r);
  const auto& f = **r;
  EXPECT_EQ(f.line(f.doc().document_element()), 1);
  EXPECT_EQ(f.line(f.doc().document_element().child("a")), 3);
  EXPECT_EQ(f.line(f.doc().document_element().child("b")), 4);
}

TEST(XmlInput, AMissingFileSaysWhy) {
  auto r = read_xml("/nonexistent/applicationHost.config");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().str(), HasSubstr("cannot read: No such file or directory"));
}

}  // namespace
}  // namespace gatehouse::iis

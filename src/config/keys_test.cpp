// Keys tables: one declaration per key drives the unknown-key check, the
// reading and the "missing key" problems, in table order.
#include "config/keys.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::config {
namespace {

struct Inner {
  unsigned depth = 0;
};

struct Sample {
  std::string name;
  bool on = false;
  Seconds wait{5};
  std::vector<Path> dirs;
  Inner inner;
  std::vector<Inner> items;
};

const Keys<Inner> kInnerKeys = {field("depth", &Inner::depth, 1u, 9u)};

Inner read_item(TableReader& t, const Sample&) {
  Inner inner;
  read_keys(t, kInnerKeys, inner);
  return inner;
}

const Keys<Sample> kSampleKeys = {
    required(field("name", &Sample::name), "the sample's name"),
    field("on", &Sample::on),
    field("wait", &Sample::wait, Seconds{1}),
    required(field("dirs", &Sample::dirs), "folders"),
    section("inner", "[inner]", &Sample::inner, kInnerKeys),
    tables("items", "[[items]]", &Sample::items, read_item),
};

struct Outcome {
  Sample sample;
  std::vector<std::string> problems;
};

Outcome read(std::string_view text) {
  const toml::table doc = toml::parse(text, std::string_view{"k.toml"});
  ReadState state{"k.toml", {}, {}};
  TableReader root{state, doc, "", ""};
  Outcome out;
  read_keys(root, kSampleKeys, out.sample);
  for (const auto& p : state.problems) out.problems.push_back(p.str());
  return out;
}

TEST(Keys, ReadsEachTypeIntoItsMember) {
  auto r = read(
      "name = \"x\"\non = true\nwait = \"2m\"\ndirs = [\"/a/\", \"/b\"]\n[inner]\ndepth = 3\n"
      "[[items]]\ndepth = 4\n[[items]]\ndepth = 5\n");
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.sample.name, "x");
  EXPECT_TRUE(r.sample.on);
  EXPECT_EQ(r.sample.wait, Seconds{120});
  EXPECT_EQ(r.sample.dirs, (std::vector<Path>{"/a", "/b"}));
  EXPECT_EQ(r.sample.inner.depth, 3u);
  ASSERT_EQ(r.sample.items.size(), 2u);
  EXPECT_EQ(r.sample.items[1].depth, 5u);
}

TEST(Keys, AbsentKeysKeepDefaultsAndRequiredOnesAreReportedInTableOrder) {
  auto r = read("on = false\n");
  EXPECT_EQ(r.sample.wait, Seconds{5});
  EXPECT_EQ(r.problems, (std::vector<std::string>{"k.toml:1:1: key 'name': missing key 'name' (the sample's name)",
                                                  "k.toml:1:1: key 'dirs': missing key 'dirs' (folders)"}));
}

TEST(Keys, UnknownKeysListTheTableInOrder) {
  auto r = read("name = \"x\"\ndirs = []\ncolour = 1\n[inner]\nwidth = 2\n");
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{
                "k.toml:3:1: key 'colour': unknown key 'colour' at the top level; expected one of name, on, wait, "
                "dirs, inner, items",
                "k.toml:5:1: key 'inner.width': unknown key 'width' in [inner]; expected one of depth"}));
}

// Problems come in reading (table) order here; the loader sorts them by position.
TEST(Keys, LimitsAndTypesAreTheGettersOwn) {
  auto r = read("name = 1\ndirs = [\"rel\"]\nwait = \"0s\"\n[[items]]\ndepth = 10\n");
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"k.toml:1:8: key 'name': expected a string, got integer 1",
                                      "k.toml:3:8: key 'wait': expected a duration of at least 1s, got \"0s\"",
                                      "k.toml:2:9: key 'dirs[0]': expected an absolute path, got \"rel\"",
                                      "k.toml:5:9: key 'items[0].depth': expected an integer from 1 to 9, got 10"}));
}

}  // namespace
}  // namespace gatehouse::config

// Range header parsing for a 1000-byte file.
#include "handlers/range.hpp"

#include <gtest/gtest.h>

namespace gatehouse::handlers {
namespace {

struct Case {
  const char* header;
  std::uint64_t size;
  RangeKind kind;
  std::uint64_t first;
  std::uint64_t length;
};

TEST(Range, Table) {
  const Case cases[] = {
      {"bytes=0-99", 1000, RangeKind::Partial, 0, 100},
      {"bytes=100-", 1000, RangeKind::Partial, 100, 900},
      {"bytes=-50", 1000, RangeKind::Partial, 950, 50},
      {"bytes=-5000", 1000, RangeKind::Partial, 0, 1000},
      {"bytes=990-2000", 1000, RangeKind::Partial, 990, 10},
      {"bytes=999-999", 1000, RangeKind::Partial, 999, 1},
      {"Bytes = 1-2", 1000, RangeKind::Partial, 1, 2},
      {"bytes=1000-", 1000, RangeKind::Unsatisfiable, 0, 0},
      {"bytes=5000-6000", 1000, RangeKind::Unsatisfiable, 0, 0},
      {"bytes=-0", 1000, RangeKind::Unsatisfiable, 0, 0},
      {"bytes=0-", 0, RangeKind::Unsatisfiable, 0, 0},
      {"bytes=0-1,5-6", 1000, RangeKind::Full, 0, 0},  // several ranges: the whole file
      {"bytes=5-1", 1000, RangeKind::Full, 0, 0},      // invalid: ignored
      {"bytes=a-b", 1000, RangeKind::Full, 0, 0},
      {"bytes=-", 1000, RangeKind::Full, 0, 0},
      {"bytes=1", 1000, RangeKind::Full, 0, 0},
      {"items=0-1", 1000, RangeKind::Full, 0, 0},
      {"bytes=99999999999999999999999-", 1000, RangeKind::Full, 0, 0},
      {"", 1000, RangeKind::Full, 0, 0},
  };
  for (const auto& c : cases) {
    auto r = parse_range(c.header, c.size);
    EXPECT_EQ(r.kind, c.kind) << c.header;
    if (c.kind == RangeKind::Partial) {
      EXPECT_EQ(r.range.first, c.first) << c.header;
      EXPECT_EQ(r.range.length, c.length) << c.header;
    }
  }
}

}  // namespace
}  // namespace gatehouse::handlers

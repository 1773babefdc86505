// The MIME table: common types, case, unknown extensions.
#include "handlers/mime.hpp"

#include <gtest/gtest.h>

namespace gatehouse::handlers {
namespace {

TEST(Mime, TableIsSorted) { EXPECT_TRUE(mime_table_is_sorted()); }

TEST(Mime, KnownExtensions) {
  EXPECT_EQ(mime_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("a/b/INDEX.HTM"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("mod.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("data.json"), "application/json");
  EXPECT_EQ(mime_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_for("p.PNG"), "image/png");
  EXPECT_EQ(mime_type_for("p.jpeg"), "image/jpeg");
  EXPECT_EQ(mime_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(mime_type_for("m.wasm"), "application/wasm");
  EXPECT_EQ(mime_type_for("v.mp4"), "video/mp4");
  EXPECT_EQ(mime_type_for("doc.pdf"), "application/pdf");
  EXPECT_EQ(mime_type_for("a.tar.gz"), "application/gzip");
}

TEST(Mime, UnknownAndScriptExtensionsHaveNoType) {
  EXPECT_EQ(mime_type_for("index.php"), std::nullopt);
  EXPECT_EQ(mime_type_for("config.inc"), std::nullopt);
  EXPECT_EQ(mime_type_for("db.sql.bak"), std::nullopt);
  EXPECT_EQ(mime_type_for("README"), std::nullopt);
  EXPECT_EQ(mime_type_for(".html"), std::nullopt);  // a dot file, not an extension
  EXPECT_EQ(mime_type_for("dir.html/file"), std::nullopt);
  EXPECT_EQ(mime_type_for("x.averyveryverylongextension"), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::handlers

// libFuzzer target over the request head parser (RequestParser on Beast, with
// the obs-fold check the session makes first), path canonicalisation and
// routing (binding by Host, then the longest mount). Built with clang 14
// against fuzz_shim/expected (see src/http/CMakeLists.txt); the input is fed
// in two pieces, split where its first byte says, to exercise resumption.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "handlers/site_map.hpp"
#include "http/path.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace gatehouse::handlers {

// Routing only needs the roots' names: no file is opened while fuzzing.
Result<RootDir> RootDir::open(const config::Path& path) { return RootDir(UniqueFd(), path); }

}  // namespace gatehouse::handlers

namespace {

using namespace gatehouse;

void check(bool ok) {
  if (!ok) std::abort();  // an invariant of the pipeline broke: libFuzzer keeps the input
}

config::Config make_config() {
  config::Config c;
  auto site = [](std::string name, std::string host, std::uint16_t port) {
    config::Site s;
    s.name = std::move(name);
    config::Binding b;
    b.host = std::move(host);
    b.port = port;
    s.bindings.push_back(b);
    config::Application root;
    root.path = "/";
    root.physical_path = "/srv/" + s.name;
    config::Application blog;
    blog.path = "/blog";
    blog.physical_path = "/srv/" + s.name + "-blog";
    s.applications = {root, blog};
    config::VirtualDirectory images;
    images.path = "/blog/images";
    images.physical_path = "/srv/images";
    s.virtual_directories.push_back(images);
    return s;
  };
  c.sites = {site("a", "a.example", 80), site("any", "*", 80), site("b", "b.example", 8080)};
  return c;
}

struct Sink : http::BodySink {
  std::size_t bytes = 0;
  void on_body(std::string_view chunk) override { bytes += chunk.size(); }
};

void route(const http::Router& router, const handlers::Request& req) {
  auto canonical = http::canonicalize_path(req.path());
  if (!canonical) {
    check(canonical.error().status >= 400 && canonical.error().status < 500);
    return;
  }
  const std::string& p = *canonical;
  check(!p.empty() && p[0] == '/');
  check(p.find("//") == std::string::npos && p.find("/../") == std::string::npos && p.find('\0') == std::string::npos &&
        p.find('\\') == std::string::npos);
  check(!(p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0));
  check(http::is_valid_utf8(p));
  for (std::uint16_t port : {80, 8080}) {
    const auto* site = router.find_site(boost::asio::ip::make_address("127.0.0.1"), port, req.host);
    if (!site) continue;
    auto match = handlers::find_mount(*site, p);
    if (!match.mount) continue;
    check(match.relative.empty() || match.relative[0] != '/');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const config::Config config = make_config();
  static const http::Router router = [] {
    auto r = http::Router::build(config);
    check(r.has_value());
    return std::move(*r);
  }();
  if (size == 0) return 0;
  config::Limits limits;
  limits.max_request_headers = 8192;
  limits.max_allowed_content_length = 1 << 16;
  handlers::Request req;
  http::RequestParser parser(req, limits);
  Sink sink;
  parser.set_sink(&sink);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = data[0] % (input.size() + 1);
  std::string buffer;
  boost::beast::error_code ec;
  for (std::string_view piece : {input.substr(0, split), input.substr(split)}) {
    buffer.append(piece);
    while (!buffer.empty() && !ec && !parser.is_done()) {
      if (!parser.is_header_done() && http::has_obs_fold(buffer, !req.method_text.empty())) return 0;  // 400
      std::size_t used = parser.put(boost::asio::buffer(buffer), ec);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        break;
      }
      buffer.erase(0, used);
      if (parser.is_header_done() && !parser.is_done()) parser.eager(true);
      if (parser.is_done() || used == 0) break;
    }
    if (ec || parser.is_done()) break;  // what follows is the next request (pipelining)
  }
  if (!parser.is_header_done() || req.reject_status != 0) return 0;
  route(router, req);
  return 0;
}

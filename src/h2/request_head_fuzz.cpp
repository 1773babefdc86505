// libFuzzer target over what an HTTP/2 client sends past nghttp2's own checks:
// header fields into the request head (HeadBuilder: pseudo-headers, Host and
// :authority, cookies, the header-size limit) and the client a balancer's
// X-Forwarded-* name (http::Forwarding). Built with clang 14 against
// src/http/fuzz_shim/expected (see src/h2/CMakeLists.txt).
//
// Input: one byte of flags, then the data. Flags & 3 picks the path:
//   0  fields ("name:value" lines; an empty line starts the next request)
//      straight into HeadBuilder, as nghttp2 orders them (pseudo-headers first);
//   1  the same fields HPACK-encoded and sent as HEADERS (+ CONTINUATION)
//      frames through a real nghttp2 server session, which validates them;
//   2  the data is the HPACK block of one request's HEADERS frame;
//   3  the data is raw frames after the client preface.
// Flag 4: the connection's TCP peer is a trusted balancer; flag 8: it is TLS.
#include <nghttp2/nghttp2.h>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "h2/request_head.hpp"
#include "handlers/request.hpp"
#include "handlers/site_map.hpp"
#include "http/forwarding.hpp"

namespace {

using namespace gatehouse;
using Fields = std::vector<std::pair<std::string, std::string>>;

// An invariant broke: say which, and libFuzzer keeps the input.
void check(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "request_head_fuzz.cpp:%d: check failed\n", line);
  std::abort();
}

config::Limits fuzz_limits() {
  config::Limits l;  // small, so the limits are reached often
  l.max_request_headers = 2048;
  l.max_url_length = 256;
  l.max_query_string = 128;
  return l;
}

config::IpRange range(int family, std::initializer_list<std::uint8_t> bytes, unsigned prefix) {
  config::IpRange r;
  r.family = family;
  std::copy(bytes.begin(), bytes.end(), r.bytes.begin());
  r.prefix = prefix;
  return r;
}

// Port 443 takes forwarded headers; 10.0.0.0/8 and fd00::/8 are balancers.
struct Balancers {
  config::Server server;
  config::Site site;
  std::vector<handlers::SiteRoutes> routes;
  std::unique_ptr<http::Forwarding> forwarding;
  Balancers() {
    server.trusted_proxies = {range(AF_INET, {10}, 8), range(AF_INET6, {0xfd}, 8)};
    site.forwarded_headers = true;
    config::Binding b;
    b.scheme = "https";
    b.port = 443;
    site.bindings.push_back(b);
    routes.push_back(handlers::SiteRoutes{&site, 0, {}});
    forwarding = std::make_unique<http::Forwarding>(routes, server);
  }
};

bool inside(const std::string& arena, std::string_view v) {
  return v.empty() || (v.data() >= arena.data() && v.data() + v.size() <= arena.data() + arena.size());
}

// What HeadBuilder must have made of the fields it was given (`fed`, in order).
void check_head(const handlers::Request& r, unsigned status, const Fields& fed, const config::Limits& limits) {
  std::uint64_t bytes = 0;
  bool over = false, method = false, path = false;
  std::optional<std::string_view> authority;
  for (const auto& [name, value] : fed) {
    bytes += name.size() + value.size() + 32;
    if (bytes > limits.max_request_headers) over = true;
    if (over) continue;  // nothing past the limit is stored
    method = method || name == ":method";
    path = path || name == ":path";
    if (name == ":authority") authority = value;
  }
  check(r.header_bytes == bytes);
  check(status == r.reject_status);
  check(status == 0 || status == 400 || status == 414 || status == 431);
  check(!over || status == 431);
  check(r.arena.size() <= limits.max_request_headers);
  if (status == 0) {
    check(method && path);
    check(r.path().size() <= limits.max_url_length && r.query().size() <= limits.max_query_string);
  }
  // Every field is a "name\0value\0" run inside the arena.
  unsigned hosts = 0, cookies = 0;
  for (const auto& f : r.fields) {
    check(std::uint64_t{f.name_at} + f.name_len < r.arena.size());
    check(f.value_at == f.name_at + f.name_len + 1);
    check(std::uint64_t{f.value_at} + f.value_len < r.arena.size());
    check(r.arena[f.name_at + f.name_len] == '\0' && r.arena[f.value_at + f.value_len] == '\0');
    hosts += f.name == boost::beast::http::field::host;  // in any spelling
    cookies += f.name == boost::beast::http::field::cookie;
  }
  check(cookies <= 1);  // split cookies are joined into one field
  for (std::string_view v : {r.host, r.user_agent, r.referer, r.range, r.expect}) check(inside(r.arena, v));
  if (authority && !authority->empty()) {  // :authority wins over Host, and there is one Host
    check(r.host == *authority);
    check(hosts == 1);
  }
}

// The forwarded client: only a trusted peer's accepted head changes it.
void check_forwarding(const handlers::Request& r, std::uint8_t flags) {
  static const Balancers balancers;
  const http::Forwarding& f = *balancers.forwarding;
  const handlers::Peer base{(flags & 4) ? "10.1.2.3" : "192.0.2.1", 50000, "127.0.0.1", 443, (flags & 8) != 0};
  const http::ConnectionForwarding connection = f.begin(base);
  check(connection.peer_trusted == ((flags & 4) != 0));
  handlers::Peer peer = base;
  f.apply(connection, r, peer);
  bool proto = false;
  for (const auto& field : r.fields) {
    const std::string_view name = r.field_name(field);
    proto = proto || boost::beast::iequals({name.data(), name.size()}, "x-forwarded-proto");
  }
  if (!connection.peer_trusted || r.reject_status != 0) {
    check(peer.remote_ip == base.remote_ip && peer.remote_port == base.remote_port && peer.https == base.https);
    return;
  }
  if (!proto) check(peer.https == base.https);
  if (peer.remote_ip == base.remote_ip) return;
  check(peer.remote_port == 0);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(peer.remote_ip, ec);
  check(!ec && address.to_string() == peer.remote_ip);  // a canonical address, never the header's raw text
}

// Path 0: the fields as nghttp2 would hand them over.
void run_direct(const std::vector<Fields>& requests, std::uint8_t flags) {
  const config::Limits limits = fuzz_limits();
  for (const Fields& fields : requests) {
    handlers::Request request;
    h2::HeadBuilder builder(request, limits);
    Fields fed;
    bool regular = false;
    for (const auto& [name, value] : fields) {
      if (name.starts_with(':') && regular) continue;  // nghttp2: pseudo-headers come first (RFC 9113 8.3)
      regular = regular || !name.starts_with(':');
      builder.add(name, value);
      fed.emplace_back(name, value);
    }
    const unsigned status = builder.finish();
    check_head(request, status, fed, limits);
    check_forwarding(request, flags);
  }
}

// Paths 1-3: a real nghttp2 server session, wired as h2/connection.cpp wires it.
class Session {
 public:
  explicit Session(std::uint8_t flags) : flags_(flags), limits_(fuzz_limits()) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, void* u) { return self(u)->on_begin_headers(f); });
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t name_len,
               const std::uint8_t* value, std::size_t value_len, std::uint8_t, void* u) {
          return self(u)->on_header(f, {reinterpret_cast<const char*>(name), name_len},
                                    {reinterpret_cast<const char*>(value), value_len});
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, void* u) { return self(u)->on_frame_recv(f); });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cb, [](nghttp2_session*, std::int32_t id, std::uint32_t, void* u) {
          self(u)->streams_.erase(id);
          return 0;
        });
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_max_continuations(option, 8);
    nghttp2_session_server_new2(&session_, cb, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 16},
                                         {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 2048}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  }
  ~Session() { nghttp2_session_del(session_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // False once nghttp2 gave up on the connection.
  bool receive(std::string_view bytes) {
    auto used = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    const std::uint8_t* out = nullptr;
    for (int i = 0; i < 64 && nghttp2_session_mem_send(session_, &out) > 0; ++i) {
    }
    return used >= 0;
  }

 private:
  struct Stream {
    handlers::Request request;
    h2::HeadBuilder builder;
    Fields fed;
    bool head_done = false;
    explicit Stream(const config::Limits& limits) : builder(request, limits) {}
  };
  static Session* self(void* u) { return static_cast<Session*>(u); }

  int on_begin_headers(const nghttp2_frame* f) {
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
      streams_[f->hd.stream_id] = std::make_unique<Stream>(limits_);
    return 0;
  }
  int on_header(const nghttp2_frame* f, std::string_view name, std::string_view value) {
    auto it = streams_.find(f->hd.stream_id);
    if (f->hd.type != NGHTTP2_HEADERS || it == streams_.end() || it->second->head_done) return 0;  // trailers
    it->second->builder.add(name, value);
    it->second->fed.emplace_back(name, value);
    return 0;
  }
  int on_frame_recv(const nghttp2_frame* f) {
    auto it = streams_.find(f->hd.stream_id);
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST || it == streams_.end()) return 0;
    Stream& s = *it->second;
    s.head_done = true;
    const unsigned status = s.builder.finish();
    check_head(s.request, status, s.fed, limits_);
    check_forwarding(s.request, flags_);
    return 0;
  }

  std::uint8_t flags_;
  config::Limits limits_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::unique_ptr<Stream>> streams_;
};

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream, std::string_view payload) {
  std::string f;
  const std::size_t n = payload.size();
  f += {static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n), static_cast<char>(type),
        static_cast<char>(flags)};
  f += {static_cast<char>(stream >> 24), static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
        static_cast<char>(stream)};
  return f.append(payload);
}

// One request's header block as HEADERS and, past 16 KiB, CONTINUATION frames.
std::string headers_frames(std::int32_t stream, std::string_view block) {
  constexpr std::size_t kMax = 16384;
  std::string out;
  std::string_view first = block.substr(0, kMax);
  block.remove_prefix(first.size());
  out +=
      frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM | (block.empty() ? NGHTTP2_FLAG_END_HEADERS : 0), stream, first);
  while (!block.empty()) {
    std::string_view part = block.substr(0, kMax);
    block.remove_prefix(part.size());
    out += frame(NGHTTP2_CONTINUATION, block.empty() ? NGHTTP2_FLAG_END_HEADERS : 0, stream, part);
  }
  return out;
}

std::string hpack(nghttp2_hd_deflater* deflater, const Fields& fields) {
  std::vector<nghttp2_nv> nv;
  for (const auto& [name, value] : fields)
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                  NGHTTP2_NV_FLAG_NONE});
  std::string block(nghttp2_hd_deflate_bound(deflater, nv.data(), nv.size()), '\0');
  auto n = nghttp2_hd_deflate_hd(deflater, reinterpret_cast<std::uint8_t*>(block.data()), block.size(), nv.data(),
                                 nv.size());
  check(n >= 0);
  block.resize(static_cast<std::size_t>(n));
  return block;
}

std::vector<Fields> parse_fields(std::string_view data) {
  std::vector<Fields> requests(1);
  while (!data.empty() && requests.size() <= 16) {
    const std::size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
    if (line.empty()) {
      requests.emplace_back();
      continue;
    }
    const std::size_t colon = line.find(':', 1);  // ":path:/x" is (":path", "/x")
    if (colon == std::string_view::npos)
      requests.back().emplace_back(line, "");
    else
      requests.back().emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return requests;
}

void run_session(std::string_view data, std::uint8_t flags) {
  Session session(flags);
  std::string wire{kPreface};
  wire += frame(NGHTTP2_SETTINGS, 0, 0, {});
  if ((flags & 3) == 1) {
    nghttp2_hd_deflater* deflater = nullptr;
    nghttp2_hd_deflate_new(&deflater, 4096);
    std::int32_t stream = 1;
    for (const Fields& fields : parse_fields(data)) {
      wire += headers_frames(stream, hpack(deflater, fields));
      stream += 2;
    }
    nghttp2_hd_deflate_del(deflater);
  } else if ((flags & 3) == 2) {
    wire += headers_frames(1, data);
  } else {
    wire.append(data);
  }
  // Fed in two pieces, as TLS records may cut the frames anywhere.
  const std::string_view all = wire;
  const std::size_t split = kPreface.size() + (data.empty() ? 0 : static_cast<std::uint8_t>(data[0]) % all.size());
  if (session.receive(all.substr(0, std::min(split, all.size()))))
    session.receive(all.substr(std::min(split, all.size())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((flags & 3) == 0)
    run_direct(parse_fields(rest), flags);
  else
    run_session(rest, flags);
  return 0;
}

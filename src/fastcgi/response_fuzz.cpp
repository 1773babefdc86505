// libFuzzer target: the response parser and the CGI head parser on hostile
// worker output. Input: one byte choosing a split size, then the byte stream.
// Besides crashes it checks that a split stream parses as the whole one does.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fastcgi/cgi_head.hpp"
#include "fastcgi/response_parser.hpp"

namespace {

using namespace gatehouse::fastcgi;

struct Outcome {
  std::string out;
  std::string err;
  int ends = 0;
  std::uint32_t app_status = 0;
  ParseError error = ParseError::None;
  CgiHeadParser::Result head = CgiHeadParser::Result::NeedMore;
  std::size_t body_bytes = 0;
  bool operator==(const Outcome&) const = default;
};

void feed_head(CgiHeadParser& head, ByteSpan data, Outcome& o) {
  if (o.head == CgiHeadParser::Result::Done) {
    o.body_bytes += data.size();
    return;
  }
  if (o.head == CgiHeadParser::Result::Error) return;
  std::size_t used = 0;
  o.head = head.feed(data, used);
  if (used > data.size()) std::abort();
  if (o.head == CgiHeadParser::Result::Done) o.body_bytes += data.size() - used;
}

Outcome parse(ByteSpan stream, std::size_t step) {
  ResponseParser parser(1, 256);
  CgiHeadParser head(1024);
  Outcome o;
  for (std::size_t at = 0; at < stream.size() && o.error == ParseError::None; at += step) {
    ByteSpan in = stream.subspan(at, std::min(step, stream.size() - at));
    for (;;) {
      const std::size_t before = in.size();
      Event ev = parser.next(in);
      if (ev.kind == EventKind::NeedMore) {
        if (!in.empty()) std::abort();  // NeedMore must mean "all consumed"
        break;
      }
      if (ev.kind == EventKind::Error) {
        o.error = ev.error;
        break;
      }
      if (in.size() == before && ev.kind == EventKind::Stdout) std::abort();  // no progress
      if (ev.kind == EventKind::Stdout) {
        o.out.append(ev.data.begin(), ev.data.end());
        feed_head(head, ev.data, o);
      } else if (ev.kind == EventKind::Stderr) {
        o.err.append(ev.data.begin(), ev.data.end());
      } else if (ev.kind == EventKind::EndRequest) {
        ++o.ends;
        o.app_status = ev.app_status;
      }
    }
  }
  if (o.head == CgiHeadParser::Result::NeedMore) o.head = head.finish();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = data[0] == 0 ? 1 : data[0];
  const ByteSpan stream(data + 1, size - 1);
  const Outcome whole = parse(stream, stream.size() + 1);
  const Outcome split = parse(stream, step);
  if (!(whole == split)) std::abort();
  if (whole.ends > 1) std::abort();  // nothing is accepted after END_REQUEST
  return 0;
}

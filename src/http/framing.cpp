// Framing choice and head serialisation; see framing.hpp.
#include "http/framing.hpp"

#include "http/response.hpp"

namespace gatehouse::http {

Framing choose_framing(unsigned status, bool head_request, unsigned version, std::optional<std::uint64_t> length) {
  if (!handlers::body_allowed(status)) return Framing::None;
  if (length) return Framing::Length;
  if (head_request) return Framing::None;
  return version >= 11 ? Framing::Chunked : Framing::Close;
}

void append_head(std::string& out, const handlers::ResponseHead& head, const HeadOptions& o) {
  begin_head(out, head.status, o.date, head.reason);
  for (const auto& f : head.fields) add_header(out, f.name, f.value);
  if (o.framing == Framing::Length)
    add_header(out, "Content-Length", head.length.value_or(0));
  else if (o.framing == Framing::Chunked)
    add_header(out, "Transfer-Encoding", "chunked");
  end_head(out, o.keep_alive && o.framing != Framing::Close, o.version);
}

}  // namespace gatehouse::http

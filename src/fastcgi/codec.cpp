// FastCGI record and name-value encoding (FastCGI 1.0, sections 3 and 5).
#include "fastcgi/codec.hpp"

#include <algorithm>
#include <cassert>

namespace gatehouse::fastcgi {
namespace {

constexpr std::uint32_t kOneByteMax = 127;
constexpr std::uint32_t kFourByteFlag = 0x80000000u;

std::size_t length_size(std::size_t n) { return n <= kOneByteMax ? 1 : 4; }

void append_length(Bytes& out, std::size_t n) {
  if (n <= kOneByteMax) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  const auto v = static_cast<std::uint32_t>(n) | kFourByteFlag;
  out.insert(out.end(), {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                         static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

void append_header(Bytes& out, RecordType type, std::uint16_t id, std::uint16_t length) {
  const auto h = encode_header(type, id, length);
  out.insert(out.end(), h.begin(), h.end());
}

// Writes a stream of content into records of at most kMaxContent bytes,
// patching each header's length once the record is full or the stream ends.
class StreamWriter {
 public:
  StreamWriter(Bytes& out, RecordType type, std::uint16_t id) : out_(out), type_(type), id_(id) {}

  void write(const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      if (!open_) start();
      const std::size_t take = std::min(n, kMaxContent - length_);
      out_.insert(out_.end(), p, p + take);
      length_ += take;
      p += take;
      n -= take;
      if (length_ == kMaxContent) finish();
    }
  }
  void write(std::string_view s) { write(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

  // Closes the last record and appends the empty record that ends the stream.
  void end() {
    if (open_) finish();
    append_header(out_, type_, id_, 0);
  }

 private:
  void start() {
    header_at_ = out_.size();
    append_header(out_, type_, id_, 0);
    length_ = 0;
    open_ = true;
  }
  void finish() {
    out_[header_at_ + 4] = static_cast<std::uint8_t>(length_ >> 8);
    out_[header_at_ + 5] = static_cast<std::uint8_t>(length_);
    open_ = false;
  }

  Bytes& out_;
  RecordType type_;
  std::uint16_t id_;
  std::size_t header_at_ = 0;
  std::size_t length_ = 0;
  bool open_ = false;
};

void write_length(StreamWriter& w, std::size_t n) {
  std::uint8_t buf[4];
  if (n <= kOneByteMax) {
    buf[0] = static_cast<std::uint8_t>(n);
    w.write(buf, 1);
    return;
  }
  const auto v = static_cast<std::uint32_t>(n) | kFourByteFlag;
  buf[0] = static_cast<std::uint8_t>(v >> 24);
  buf[1] = static_cast<std::uint8_t>(v >> 16);
  buf[2] = static_cast<std::uint8_t>(v >> 8);
  buf[3] = static_cast<std::uint8_t>(v);
  w.write(buf, 4);
}

}  // namespace

std::array<std::uint8_t, kHeaderSize> encode_header(RecordType type, std::uint16_t request_id,
                                                    std::uint16_t content_length) {
  return {kVersion1,
          static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(request_id >> 8),
          static_cast<std::uint8_t>(request_id),
          static_cast<std::uint8_t>(content_length >> 8),
          static_cast<std::uint8_t>(content_length),
          0,
          0};
}

RecordHeader decode_header(const std::uint8_t* b) {
  return RecordHeader{b[0], b[1], static_cast<std::uint16_t>(b[2] << 8 | b[3]),
                      static_cast<std::uint16_t>(b[4] << 8 | b[5]), b[6]};
}

std::size_t name_value_size(std::string_view name, std::string_view value) {
  return length_size(name.size()) + length_size(value.size()) + name.size() + value.size();
}

void append_name_value(Bytes& out, std::string_view name, std::string_view value) {
  append_length(out, name.size());
  append_length(out, value.size());
  out.insert(out.end(), name.begin(), name.end());
  out.insert(out.end(), value.begin(), value.end());
}

std::optional<std::vector<NameValue>> decode_name_values(ByteSpan in, std::size_t max_item) {
  std::vector<NameValue> out;
  std::size_t pos = 0;
  auto read_length = [&](std::size_t& n) {
    if (pos >= in.size()) return false;
    if ((in[pos] & 0x80) == 0) {
      n = in[pos++];
      return true;
    }
    if (in.size() - pos < 4) return false;
    n = (std::size_t{in[pos] & 0x7fu} << 24) | (std::size_t{in[pos + 1]} << 16) | (std::size_t{in[pos + 2]} << 8) |
        in[pos + 3];
    pos += 4;
    return true;
  };
  while (pos < in.size()) {
    std::size_t name_len = 0;
    std::size_t value_len = 0;
    if (!read_length(name_len) || !read_length(value_len)) return std::nullopt;
    if (name_len > max_item || value_len > max_item) return std::nullopt;
    if (in.size() - pos < name_len + value_len) return std::nullopt;
    const char* p = reinterpret_cast<const char*>(in.data() + pos);
    out.push_back(NameValue{std::string(p, name_len), std::string(p + name_len, value_len)});
    pos += name_len + value_len;
  }
  return out;
}

void append_begin_request(Bytes& out, std::uint16_t request_id, bool keep_conn, Role role) {
  append_header(out, RecordType::BeginRequest, request_id, 8);
  const auto r = static_cast<std::uint16_t>(role);
  out.insert(out.end(), {static_cast<std::uint8_t>(r >> 8), static_cast<std::uint8_t>(r),
                         static_cast<std::uint8_t>(keep_conn ? kKeepConn : 0), 0, 0, 0, 0, 0});
}

void append_abort_request(Bytes& out, std::uint16_t request_id) {
  append_header(out, RecordType::AbortRequest, request_id, 0);
}

void append_params(Bytes& out, std::uint16_t request_id, std::span<const NameValue> params) {
  StreamWriter w(out, RecordType::Params, request_id);
  for (const auto& p : params) {
    write_length(w, p.name.size());
    write_length(w, p.value.size());
    w.write(p.name);
    w.write(p.value);
  }
  w.end();
}

void append_stdin(Bytes& out, std::uint16_t request_id, ByteSpan data) {
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), kMaxContent);
    append_header(out, RecordType::Stdin, request_id, static_cast<std::uint16_t>(take));
    out.insert(out.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
  }
}

void append_end_stdin(Bytes& out, std::uint16_t request_id) { append_header(out, RecordType::Stdin, request_id, 0); }

void append_get_values(Bytes& out, std::span<const std::string> names) {
  // GET_VALUES is one record, not a stream; the few names asked for are short
  // constants (FCGI_MAX_CONNS...), so the record cannot overflow in practice.
  std::size_t total = 0;
  for (const auto& n : names) total += name_value_size(n, {});
  assert(total <= kMaxContent);
  append_header(out, RecordType::GetValues, kManagementId, static_cast<std::uint16_t>(total));
  for (const auto& n : names) append_name_value(out, n, {});
}

}  // namespace gatehouse::fastcgi

// CGI response head parsing: line assembly across feeds, then per-line rules.
#include "fastcgi/cgi_head.hpp"

#include <algorithm>
#include <cstring>

namespace gatehouse::fastcgi {
namespace {

bool is_token_char(char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view describe(HeadError e) {
  switch (e) {
    case HeadError::None:
      return "no error";
    case HeadError::TooLarge:
      return "CGI response head too large";
    case HeadError::MalformedLine:
      return "malformed CGI header line";
    case HeadError::BadCharacter:
      return "NUL or bare CR in a CGI header line";
    case HeadError::BadStatus:
      return "invalid CGI Status header";
    case HeadError::Incomplete:
      return "CGI response ended inside the head";
  }
  return "unknown CGI head error";
}

CgiHeadParser::Result CgiHeadParser::fail(HeadError e) {
  error_ = e;
  return Result::Error;
}

CgiHeadParser::Result CgiHeadParser::feed(ByteSpan in, std::size_t& consumed) {
  consumed = 0;
  if (error_ != HeadError::None) return Result::Error;
  if (done_) return Result::Done;
  const char* p = reinterpret_cast<const char*>(in.data());
  while (consumed < in.size()) {
    const std::size_t room = max_head_ - seen_;
    const std::size_t avail = std::min(in.size() - consumed, room);
    const char* nl = static_cast<const char*>(std::memchr(p + consumed, '\n', avail));
    if (nl == nullptr) {
      if (avail == room) return fail(HeadError::TooLarge);
      line_.append(p + consumed, avail);
      seen_ += avail;
      consumed += avail;
      return Result::NeedMore;
    }
    const std::size_t len = static_cast<std::size_t>(nl - (p + consumed));
    line_.append(p + consumed, len);
    seen_ += len + 1;
    consumed += len + 1;
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      done_ = true;
      if (head_.location && !has_status_) head_.status = 302;  // RFC 3875 6.2.3 client redirect
      return Result::Done;
    }
    if (parse_line(line) == Result::Error) return Result::Error;
    line_.clear();
  }
  return Result::NeedMore;
}

CgiHeadParser::Result CgiHeadParser::finish() {
  if (done_) return Result::Done;
  if (error_ != HeadError::None) return Result::Error;
  return fail(HeadError::Incomplete);
}

CgiHeadParser::Result CgiHeadParser::parse_line(std::string_view line) {
  if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos)
    return fail(HeadError::BadCharacter);
  // A continuation line (obs-fold) is refused: PHP never writes one, and
  // joining lines is how header injection hides.
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail(HeadError::MalformedLine);
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail(HeadError::MalformedLine);
  const std::string_view value = trim(line.substr(colon + 1));

  if (iequals(name, "Status")) {
    const bool digits =
        value.size() >= 3 && std::all_of(value.begin(), value.begin() + 3, [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (value.size() > 3 && value[3] != ' ')) return fail(HeadError::BadStatus);
    const int code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    if (code < 100) return fail(HeadError::BadStatus);
    head_.status = code;
    head_.reason = std::string(trim(value.substr(3)));
    has_status_ = true;
  } else if (iequals(name, "Location")) {
    head_.location = std::string(value);
  } else if (iequals(name, "Set-Cookie")) {
    head_.set_cookies.emplace_back(value);
  } else {
    head_.headers.emplace_back(std::string(name), std::string(value));
  }
  return Result::NeedMore;
}

}  // namespace gatehouse::fastcgi

// Builds the CGI/1.1 parameter list; the header rules here are the httpoxy and
// header-collision defences of design.md.
#include "fastcgi/params.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace gatehouse::fastcgi {
namespace {

constexpr std::string_view kOp = "build CGI params";

bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_ctl(std::string_view s) { return s.find_first_of(std::string_view("\0\r\n", 3)) != s.npos; }

std::string to_variable(std::string_view name) {
  std::string out = "HTTP_";
  for (char c : name) out += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

// Variables the server sets itself, or must never set from a header.
bool is_dropped(std::string_view var, const RequestMeta& meta) {
  if (var == "HTTP_PROXY") return true;  // httpoxy: PHP libraries read it as $HTTP_PROXY
  if (var == "HTTP_CONTENT_TYPE" || var == "HTTP_CONTENT_LENGTH") return true;
  // Once the server checked the password, PHP has no business seeing it.
  return var == "HTTP_AUTHORIZATION" && !meta.auth_type.empty();
}

Status check_fields(const RequestMeta& m) {
  const std::pair<const char*, const std::string*> fields[] = {{"method", &m.method},
                                                               {"script_filename", &m.script_filename},
                                                               {"script_name", &m.script_name},
                                                               {"path_info", &m.path_info},
                                                               {"document_root", &m.document_root},
                                                               {"request_uri", &m.request_uri},
                                                               {"query_string", &m.query_string},
                                                               {"content_type", &m.content_type},
                                                               {"server_name", &m.server_name},
                                                               {"remote_user", &m.remote_user}};
  for (const auto& [name, value] : fields)
    if (value->find('\0') != std::string::npos)
      return std::unexpected(Error::logic(std::string(kOp), name, "contains NUL"));
  return {};
}

struct HeaderVar {
  std::string lower_name;
  std::size_t index;  // into the output list
};

Status add_headers(const RequestMeta& meta, std::vector<NameValue>& out) {
  std::unordered_map<std::string, HeaderVar> seen;
  for (const auto& h : meta.headers) {
    if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_token_char))
      return std::unexpected(Error::logic(std::string(kOp), h.name, "header name is not an HTTP token"));
    if (has_ctl(h.value))
      return std::unexpected(Error::logic(std::string(kOp), h.name, "NUL, CR or LF in header value"));
    std::string var = to_variable(h.name);
    std::string low = lower(h.name);
    auto it = seen.find(var);
    if (it != seen.end()) {
      if (it->second.lower_name != low)
        return std::unexpected(
            Error::logic(std::string(kOp), h.name, "collides with header " + it->second.lower_name + " as " + var));
      if (it->second.index != SIZE_MAX) {
        auto& value = out[it->second.index].value;
        value += low == "cookie" ? "; " : ", ";
        value += h.value;
      }
      continue;
    }
    // Dropped headers still take part in the collision check above.
    const bool dropped = is_dropped(var, meta);
    seen.emplace(var, HeaderVar{std::move(low), dropped ? SIZE_MAX : out.size()});
    if (!dropped) out.push_back(NameValue{std::move(var), h.value});
  }
  return {};
}

}  // namespace

Result<std::vector<NameValue>> build_params(const RequestMeta& meta) {
  if (auto ok = check_fields(meta); !ok) return std::unexpected(ok.error());
  std::vector<NameValue> out;
  out.reserve(24 + meta.headers.size());
  auto add = [&](const char* name, std::string value) { out.push_back(NameValue{name, std::move(value)}); };
  add("GATEWAY_INTERFACE", "CGI/1.1");
  add("SERVER_SOFTWARE", kServerSoftware);
  add("REQUEST_METHOD", meta.method);
  add("SCRIPT_FILENAME", meta.script_filename);
  add("SCRIPT_NAME", meta.script_name);
  add("PATH_INFO", meta.path_info);
  // php-cgi with cgi.fix_pathinfo = 0 runs PATH_TRANSLATED rather than
  // SCRIPT_FILENAME, so RFC 3875's DOCUMENT_ROOT + PATH_INFO would let
  // /x.php/uploads/evil.jpg run an upload. IIS sends the script's own path; so do we.
  if (!meta.path_info.empty()) add("PATH_TRANSLATED", meta.script_filename);
  add("DOCUMENT_ROOT", meta.document_root);
  add("REQUEST_URI", meta.request_uri);
  add("QUERY_STRING", meta.query_string);
  if (!meta.content_type.empty()) add("CONTENT_TYPE", meta.content_type);
  if (meta.content_length) add("CONTENT_LENGTH", std::to_string(*meta.content_length));
  add("REMOTE_ADDR", meta.remote_addr);
  add("REMOTE_PORT", std::to_string(meta.remote_port));
  add("SERVER_ADDR", meta.server_addr);
  add("SERVER_PORT", std::to_string(meta.server_port));
  add("SERVER_NAME", meta.server_name);
  add("SERVER_PROTOCOL", meta.protocol);
  add("REQUEST_SCHEME", meta.https ? "https" : "http");
  if (meta.https) add("HTTPS", "on");
  add("REDIRECT_STATUS", "200");  // php-cgi's force_redirect refuses to run without it
  // Empty for an anonymous request, as IIS and nginx's fastcgi_params send it:
  // applications (DokuWiki) read the key without checking that it exists.
  add("REMOTE_USER", meta.remote_user);
  if (!meta.auth_type.empty()) add("AUTH_TYPE", meta.auth_type);
  if (auto ok = add_headers(meta, out); !ok) return std::unexpected(ok.error());
  return out;
}

}  // namespace gatehouse::fastcgi

// CGI/1.1 parameters (RFC 3875, plus what PHP expects) from a description of
// the HTTP request. Refuses requests whose headers could smuggle variables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fastcgi/codec.hpp"

namespace gatehouse::fastcgi {

struct HttpHeader {
  std::string name;
  std::string value;
};

// What the PHP handler knows about a request once it has routed it.
struct RequestMeta {
  std::string method;           // "GET"
  std::string script_filename;  // /srv/site/a/b.php
  std::string script_name;      // /a/b.php
  std::string path_info;        // /x/y, or empty
  std::string document_root;    // /srv/site
  std::string request_uri;      // /a/b.php/x/y?q=1, as the client sent it
  std::string query_string;     // q=1
  std::string content_type;     // empty: none
  std::optional<std::uint64_t> content_length;
  std::string remote_addr;
  std::uint16_t remote_port = 0;
  std::string server_addr;
  std::uint16_t server_port = 0;
  std::string server_name;
  std::string protocol = "HTTP/1.1";
  bool https = false;
  std::string remote_user;          // set when the server authenticated the user
  std::string auth_type;            // "Basic" with remote_user
  std::vector<HttpHeader> headers;  // in arrival order
};

inline constexpr const char* kServerSoftware = "Gatehouse";

// The parameter list, in a fixed order then HTTP_* in header order. Errors:
// two header names that map to the same variable ("X-Foo", "X_Foo"), a header
// name that is not an HTTP token, NUL/CR/LF in a header, NUL in a field.
// Headers that differ only in case are one header: values joined by ", "
// (by "; " for Cookie), as RFC 9110 allows.
Result<std::vector<NameValue>> build_params(const RequestMeta& meta);

}  // namespace gatehouse::fastcgi

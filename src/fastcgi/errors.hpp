// FastCGI failures as boost::system::error_code values, so the async client
// reports protocol errors and socket errors through the same channel.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

#include "fastcgi/cgi_head.hpp"
#include "fastcgi/response_parser.hpp"

namespace gatehouse::fastcgi {

// Misuse of a Connection, or a peer that breaks the protocol's flow.
enum class ClientErrc {
  busy = 1,           // an operation of the same kind is already in flight
  not_in_request,     // stdin/output/abort outside a request
  stdin_closed,       // write after async_end_stdin
  request_active,     // async_begin/get_values while a request runs
  stray_data,         // the worker sent bytes between requests
  connection_broken,  // an earlier I/O or protocol error: close the connection
  unknown_type,       // the worker answered UNKNOWN_TYPE to one of our records
};

const boost::system::error_category& client_category();
const boost::system::error_category& parse_category();

boost::system::error_code make_error_code(ClientErrc e);
boost::system::error_code make_error_code(ParseError e);

}  // namespace gatehouse::fastcgi

namespace boost::system {
template <>
struct is_error_code_enum<gatehouse::fastcgi::ClientErrc> : std::true_type {};
template <>
struct is_error_code_enum<gatehouse::fastcgi::ParseError> : std::true_type {};
}  // namespace boost::system

// The "fastcgi" and "fastcgi.parse" error categories.
#include "fastcgi/errors.hpp"

#include <string>

namespace gatehouse::fastcgi {
namespace {

class ClientCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "fastcgi"; }
  std::string message(int ev) const override {
    switch (static_cast<ClientErrc>(ev)) {
      case ClientErrc::busy:
        return "FastCGI operation already in progress";
      case ClientErrc::not_in_request:
        return "no FastCGI request in progress";
      case ClientErrc::stdin_closed:
        return "FastCGI request body already ended";
      case ClientErrc::request_active:
        return "a FastCGI request is already in progress";
      case ClientErrc::stray_data:
        return "FastCGI worker sent data between requests";
      case ClientErrc::connection_broken:
        return "FastCGI connection broken by an earlier error";
      case ClientErrc::unknown_type:
        return "FastCGI worker did not understand a record type";
    }
    return "unknown FastCGI client error";
  }
};

class ParseCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "fastcgi.parse"; }
  std::string message(int ev) const override { return std::string(describe(static_cast<ParseError>(ev))); }
};

}  // namespace

const boost::system::error_category& client_category() {
  static const ClientCategory category;
  return category;
}

const boost::system::error_category& parse_category() {
  static const ParseCategory category;
  return category;
}

boost::system::error_code make_error_code(ClientErrc e) { return {static_cast<int>(e), client_category()}; }

boost::system::error_code make_error_code(ParseError e) { return {static_cast<int>(e), parse_category()}; }

}  // namespace gatehouse::fastcgi

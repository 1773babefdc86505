// The rewrite step's input: variables, headers and the probe; see rewriting.hpp.
#include "http/rewriting.hpp"

#include <boost/beast/core/string.hpp>
#include <string>

#include "handlers/static_file.hpp"

namespace gatehouse::http {

rewrite::RewriteOutcome run_rewrite(const rewrite::CompiledRules& rules, const handlers::SiteRoutes& site,
                                    const handlers::Request& request, const handlers::Peer& peer,
                                    std::string_view canonical, const accounts::Identity& who) {
  rewrite::RewriteInput in;
  in.path = canonical.substr(1);
  in.query = request.query();
  in.request_uri = request.target;
  in.method = request.method_text;
  in.server_port = peer.local_port;
  in.https = peer.https;
  in.remote_addr = peer.remote_ip;
  in.header = [&request](std::string_view lower_name) -> std::optional<std::string_view> {
    if (lower_name == "host") return request.host;  // the authority that routed the request
    for (const auto& f : request.fields) {
      auto name = request.field_name(f);
      if (boost::beast::iequals({name.data(), name.size()}, {lower_name.data(), lower_name.size()}))
        return request.field_value(f);
    }
    return std::nullopt;
  };
  in.probe = [&site, &who](std::string_view url_path) {
    auto match = handlers::find_mount(site, url_path);
    if (!match.mount) return rewrite::FileKind::None;
    auto file = handlers::open_for_request(match.mount->root, match.relative, who);
    if (!file) return rewrite::FileKind::None;
    if (file->is_directory()) return rewrite::FileKind::Directory;
    return file->is_regular() ? rewrite::FileKind::File : rewrite::FileKind::None;
  };
  in.physical_path = [&site](std::string_view url_path) {
    auto match = handlers::find_mount(site, url_path);
    if (!match.mount) return std::string();
    return (match.mount->root.path() / std::string(match.relative)).string();
  };
  return rewrite::evaluate(rules, in);
}

}  // namespace gatehouse::http

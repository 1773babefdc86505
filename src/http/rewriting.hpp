// The rewrite step of the request path: a routed request through its site's
// and application's URL Rewrite rules (rewrite/), with the file-system probe
// made as the request identity, so the kernel decides what "is a file".
#pragma once

#include <string_view>

#include "accounts/identity.hpp"
#include "handlers/request.hpp"
#include "handlers/site_map.hpp"
#include "rewrite/evaluate.hpp"

namespace gatehouse::http {

// `canonical` is the decoded URL path that routed to `site`; `who` opens
// files for IsFile / IsDirectory conditions.
rewrite::RewriteOutcome run_rewrite(const rewrite::CompiledRules& rules, const handlers::SiteRoutes& site,
                                    const handlers::Request& request, const handlers::Peer& peer,
                                    std::string_view canonical, const accounts::Identity& who);

}  // namespace gatehouse::http

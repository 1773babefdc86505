// What `serve` adds for operations (issue 12): the reloader's builders
// (reload/reloader.hpp: how to load, provision, authenticate and route PHP for
// a configuration read again), the control socket's JSON of an outcome, and
// the admin listener (metrics, status page).
#pragma once

#include <nlohmann/json.hpp>

#include "admin/server.hpp"
#include "control/drain.hpp"
#include "http/server.hpp"
#include "pool/pool_set.hpp"
#include "reload/reloader.hpp"

namespace gatehouse::cli {

reload::Builders reload_builders(bool single_user, pool::PoolSet& pools);
nlohmann::json outcome_json(const reload::Outcome& outcome);

// The admin listener of [server.admin]; nullptr when it is off.
Result<std::unique_ptr<admin::Server>> start_admin(const config::Config& config, pool::PoolSet& pools,
                                                   http::Server& server, admin::Server::Options options = {});
// Its hooks (issue 18): GET /ready reads `drain`; [server.admin] allow picks the peers it answers.
admin::Server::Options admin_options(const config::Config& config, const control::Drain& drain);

// `gatehouse drain` (issue 18): the server's request counts, and the drain
// state the control socket drives and GET /ready reads. `server` must outlive it.
std::unique_ptr<control::Drain> make_drain(const config::Config& config, const http::Server& server);

}  // namespace gatehouse::cli

// GET /ready on the admin listener (issue 18): what a load balancer's health
// check asks. Ready while every pool takes requests and the node is not
// draining; otherwise one line per reason. Pure: the tests give known samples.
#pragma once

#include <string>
#include <vector>

#include "admin/render.hpp"

namespace gatehouse::admin {

// Why this node should get no new requests; empty: ready.
std::vector<std::string> not_ready(const Sample& sample, bool draining);

}  // namespace gatehouse::admin

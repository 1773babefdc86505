// A fast answer to "was `perms apply` run for this plan?": the plan's own
// folders (not what lies below them) against their target ACLs. For serve's
// start, where walking a whole application would delay the first request.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"
#include "perms/plan.hpp"

namespace gatehouse::perms {

struct Drift {
  std::vector<std::string> differ;    // folders whose ACL is not the planned one
  std::vector<std::string> missing;   // folders the plan names that do not exist
  std::vector<std::string> accounts;  // accounts of the plan that do not exist

  bool empty() const { return differ.empty() && missing.empty() && accounts.empty(); }
};

Result<Drift> check_applied(const Plan& plan);

}  // namespace gatehouse::perms

// What `perms apply` prints: a summary per folder of the plan with its rules
// (one line per file only with --verbose), accounts to be created, and an
// undo hint that can be pasted as is.
#pragma once

#include <string>

#include "perms/apply.hpp"
#include "perms/plan.hpp"

namespace gatehouse::cli {

struct ApplyOutput {
  bool dry_run = false;
  bool json = false;
  bool verbose = false;
  std::string config_file;  // for the undo hint
};

void print_apply(const perms::Plan& plan, const perms::ApplyReport& report, const ApplyOutput& o);

// `text` safe to paste into a shell: quoted when it holds anything unusual.
std::string shell_quote(const std::string& text);

}  // namespace gatehouse::cli

// `gatehouse perms explain PATH [--as ACCOUNT | --url URL] [--op ...]`: who
// performs an operation on a path and whether it is allowed, naming the ACL
// entry or mode bits that decide it, cross-checked with the kernel.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::perms {

enum class Op { Read, Write, List, Execute };
std::optional<Op> parse_op(std::string_view text);
std::string_view to_string(Op op);

struct ExplainRequest {
  config::Path path;               // may be empty with a URL: the URL's file is used
  std::optional<std::string> as;   // one account
  std::optional<std::string> url;  // "http://shop.localhost:8081/blog/index.php"
  std::vector<Op> ops;             // empty: read and write (list too for a folder)
};

struct Answer {
  std::string account;
  std::string role;  // "anonymous user (static files)", "pool shop (PHP file operations)", "--as"
  Op op;
  bool allowed = false;
  std::string decided_by;  // "/srv/shop: user:gh-pool-shop:r-x (mask r-x)" or the denying ancestor
  bool kernel_allowed = false;
  // For a PHP worker's account: what its Landlock sandbox says ("" when the
  // account is no worker's). When it refuses, Landlock, not the ACL, decides.
  std::string sandbox;
  bool sandbox_refuses = false;
  bool agrees() const { return allowed == kernel_allowed; }
};

struct Explanation {
  std::string path;
  std::vector<std::string> route;  // for a URL: site, application, pool, impersonation
  std::vector<Answer> answers;
  bool disagreement() const;
};

Result<Explanation> explain(const config::Config& config, const ExplainRequest& request);

std::string format_explanation(const Explanation& e);
nlohmann::json to_json(const Explanation& e);

}  // namespace gatehouse::perms

// Test helpers: rules from TOML through the real loader, and a request
// against an in-memory site (files, folders, headers).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "config/load.hpp"
#include "rewrite/evaluate.hpp"

namespace gatehouse::rewrite::testing {

// A site "s" at /srv/s with an application /blog; `rules` is TOML appended
// after the site's keys (so [[sites.rewrite]] and [[sites.applications]] work).
inline CompiledRules rules_of(std::string_view rules, std::size_t app = 0) {
  const std::string text = std::string{R"([[pools]]
name = "p"

[[sites]]
name = "s"
bindings = ["http://*:80:*"]
physical_path = "/srv/s"
pool = "p"
)"} + std::string{rules};
  const config::Config config = config::load_string(text, "t.toml", {.check_paths = false});
  auto compiled = compile(config.sites.at(0), app);
  if (!compiled) throw std::runtime_error(compiled.error().message());
  return std::move(*compiled);
}

struct FakeSite {
  std::set<std::string> files = {"/index.php"};
  std::set<std::string> dirs = {"/"};
  std::map<std::string, std::string> headers = {{"host", "example.com"}};
  std::vector<std::string> probed;
  bool https = false;

  // `target` is "/path?query" as a client sends it (decoded here for brevity).
  RewriteOutcome run(const CompiledRules& rules, const std::string& target) {
    const std::size_t mark = target.find('?');
    path_ = target.substr(1, mark == std::string::npos ? std::string::npos : mark - 1);
    query_ = mark == std::string::npos ? "" : target.substr(mark + 1);
    uri_ = target;
    RewriteInput input;
    input.path = path_;
    input.query = query_;
    input.request_uri = uri_;
    input.method = "GET";
    input.https = https;
    input.server_port = https ? 443 : 80;
    input.remote_addr = "192.0.2.7";
    input.header = [this](std::string_view name) -> std::optional<std::string_view> {
      auto it = headers.find(std::string{name});
      if (it == headers.end()) return std::nullopt;
      return it->second;
    };
    input.probe = [this](std::string_view url_path) {
      probed.emplace_back(url_path);
      if (files.contains(std::string{url_path})) return FileKind::File;
      std::string dir{url_path};
      if (dir.size() > 1 && dir.ends_with('/')) dir.pop_back();
      return dirs.contains(dir) ? FileKind::Directory : FileKind::None;
    };
    input.physical_path = [](std::string_view url_path) { return "/srv/s" + std::string{url_path}; };
    return evaluate(rules, input);
  }

 private:
  std::string path_, query_, uri_;
};

// "Rewritten /index.php ? x=1", "Continue", "Redirect 301 /x", ... or "error: ...".
inline std::string show(const RewriteOutcome& outcome) {
  if (!outcome) return "error: " + outcome.error().message();
  struct Visit {
    std::string operator()(const Continue&) const { return "Continue"; }
    std::string operator()(const Rewritten& r) const { return "Rewritten " + r.path + " ? " + r.query; }
    std::string operator()(const Redirect& r) const {
      return "Redirect " + std::to_string(r.status) + " " + r.location;
    }
    std::string operator()(const CustomResponse& r) const {
      return "CustomResponse " + std::to_string(r.status) + "." + std::to_string(r.substatus) + " " + r.reason + " / " +
             r.description;
    }
    std::string operator()(const Abort&) const { return "Abort"; }
  };
  return std::visit(Visit{}, *outcome);
}

}  // namespace gatehouse::rewrite::testing

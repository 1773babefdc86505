// Compiles a site's and an application's rules into one ordered list.
#include "rewrite/rules.hpp"

namespace gatehouse::rewrite {
namespace {

std::string base_of(const std::string& app_path) {
  if (app_path.empty() || app_path == "/") return "";
  std::string base = app_path.substr(1) + "/";
  for (char& c : base)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return base;
}

Status add_rule(std::vector<CompiledRule>& out, const config::RewriteRule& rule, const std::string& app_path,
                const std::string& site) {
  const std::string where = "rule '" + rule.name + "'";
  auto match = Regex::compile(rule.match, rule.ignore_case, where + " (match)");
  if (!match) return std::unexpected(match.error());
  CompiledRule compiled{rule, std::move(*match), {}, base_of(app_path), where, "[site " + site + "]"};
  for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
    const auto& c = rule.conditions[i];
    if (c.match_type != config::MatchType::Pattern) {
      compiled.conditions.emplace_back();
      continue;
    }
    auto pattern = Regex::compile(c.pattern, c.ignore_case, where + " (condition " + std::to_string(i + 1) + ")");
    if (!pattern) return std::unexpected(pattern.error());  // config loading reported it already
    compiled.conditions.emplace_back(std::move(*pattern));
  }
  out.push_back(std::move(compiled));
  return {};
}

}  // namespace

config::RewriteRule front_controller_rule(const std::string& script, const std::string& app_path) {
  using config::TemplatePart;
  config::RewriteRule rule;
  rule.name = "front_controller";
  rule.match = ".*";
  rule.stop_processing = true;
  const auto filename = config::parse_template("{REQUEST_FILENAME}");
  for (auto type : {config::MatchType::IsFile, config::MatchType::IsDirectory})
    rule.conditions.push_back(config::RewriteCondition{*filename, type, "", true, true});
  rule.action = config::RewriteAction::Rewrite;
  // A literal part: the script's name is never read as a template.
  const std::string target = (app_path == "/" ? "" : app_path) + script;
  rule.url = config::Template{target, {TemplatePart{TemplatePart::Kind::Literal, target, 0, {}}}};
  rule.append_query_string = true;
  return rule;
}

Result<CompiledRules> compile(const config::Site& site, std::size_t app_index) {
  CompiledRules out;
  const config::Application& app = site.applications.at(app_index);
  std::vector<std::pair<const config::RewriteRule*, std::string>> sources;  // rule, application path
  for (const auto& rule : site.rewrite) sources.emplace_back(&rule, "/");
  std::optional<config::RewriteRule> front;
  if (app_index == 0) {
    if (!site.front_controller.empty()) front = front_controller_rule(site.front_controller, "/");
  } else {
    for (const auto& rule : app.rewrite) sources.emplace_back(&rule, app.path);
    if (!app.front_controller.empty()) front = front_controller_rule(app.front_controller, app.path);
  }
  if (front) sources.emplace_back(&*front, app_index == 0 ? "/" : app.path);
  for (const auto& [rule, app_path] : sources)
    if (auto added = add_rule(out.rules_, *rule, app_path, site.name); !added) return std::unexpected(added.error());
  for (const auto& rule : out.rules_) {
    out.max_pairs_ = std::max(out.max_pairs_, rule.match.pairs());
    for (const auto& c : rule.conditions)
      if (c) out.max_pairs_ = std::max(out.max_pairs_, c->pairs());
  }
  return out;
}

Result<std::vector<CompiledRules>> compile_site(const config::Site& site) {
  std::vector<CompiledRules> out;
  for (std::size_t i = 0; i < site.applications.size(); ++i) {
    auto rules = compile(site, i);
    if (!rules) return std::unexpected(rules.error());
    out.push_back(std::move(*rules));
  }
  return out;
}

}  // namespace gatehouse::rewrite

// Rule evaluation in IIS URL Rewrite's order: pattern, conditions, action.
#include "rewrite/evaluate.hpp"

#include "rewrite/substitute.hpp"

namespace gatehouse::rewrite {
namespace {

using config::LogicalGrouping;
using config::MatchType;
using config::RewriteAction;

// The part of `path` a rule with this base sees, or nullopt when the path
// lies outside the rule's application ("blog/" sees "blog/x" as "x", and
// "Blog" as ""). Case-insensitive, as IIS matches URL prefixes.
std::optional<std::string_view> relative_to(std::string_view path, std::string_view base) {
  if (base.empty()) return path;
  const auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  };
  if (path.size() >= base.size() && same(path.substr(0, base.size()), base)) return path.substr(base.size());
  if (same(path, base.substr(0, base.size() - 1))) return std::string_view{};
  return std::nullopt;
}

Error in_rule(const CompiledRule& rule, Error error) {
  if (error.target.empty()) error.target = rule.where;
  error.context = rule.context;
  return error;
}

// MatchAll: every condition holds; MatchAny: one does. {C:n} come from the
// last condition whose pattern matched (not negated: a negated match has none).
Result<bool> conditions_hold(const CompiledRule& r, const Scope& scope, const MatchData& scratch,
                             std::vector<std::string>& condition_captures) {
  const bool any = r.rule.logical_grouping == LogicalGrouping::MatchAny;
  std::vector<std::string> captures;
  for (std::size_t i = 0; i < r.rule.conditions.size(); ++i) {
    const config::RewriteCondition& c = r.rule.conditions[i];
    bool hit = false;
    if (c.match_type == MatchType::Pattern) {
      auto value = expand(c.input, scope);
      if (!value) return std::unexpected(value.error());
      auto matched = r.conditions[i]->match(*value, scratch, captures);
      if (!matched) return std::unexpected(matched.error());
      hit = *matched != c.negate;
      if (*matched && !c.negate) condition_captures = captures;
    } else {
      const FileKind kind = scope.input.probe ? scope.input.probe("/" + std::string{scope.path}) : FileKind::None;
      const bool is = kind == (c.match_type == MatchType::IsFile ? FileKind::File : FileKind::Directory);
      hit = is != c.negate;
    }
    if (any && hit) return true;
    if (!any && !hit) return false;
  }
  return !any || r.rule.conditions.empty();
}

}  // namespace

RewriteOutcome evaluate(const CompiledRules& rules, const RewriteInput& input) {
  const MatchData scratch{rules.max_pairs()};
  std::string path{input.path};
  std::string query{input.query};
  std::string rewritten_by;
  std::vector<std::string> rule_captures, condition_captures;
  for (const CompiledRule& r : rules.rules()) {
    const auto relative = relative_to(path, r.base);
    if (!relative) continue;
    auto matched = r.match.match(*relative, scratch, rule_captures);
    if (!matched) return std::unexpected(in_rule(r, matched.error()));
    if (*matched == r.rule.negate) continue;
    if (r.rule.negate) rule_captures.clear();
    condition_captures.clear();
    const Scope scope{input, path, query, rule_captures, condition_captures};
    auto hold = conditions_hold(r, scope, scratch, condition_captures);
    if (!hold) return std::unexpected(in_rule(r, hold.error()));
    if (!*hold) continue;

    const config::RewriteRule& rule = r.rule;
    if (rule.action == RewriteAction::Rewrite || rule.action == RewriteAction::Redirect) {
      auto url = expand(rule.url, scope);
      if (!url) return std::unexpected(in_rule(r, url.error()));
      if (rule.action == RewriteAction::Redirect)
        return Redirect{rule.redirect_type,
                        redirect_location(*url, rule.url.text, r.base, query, rule.append_query_string), rule.name};
      auto target = rewrite_target(*url, r.base);
      if (!target) return std::unexpected(in_rule(r, target.error()));
      query = encode_query(joined_query(*target, query, rule.append_query_string));
      path = std::move(target->path);
      rewritten_by = rule.name;
    } else if (rule.action == RewriteAction::CustomResponse) {
      return CustomResponse{rule.status_code, rule.substatus_code, rule.status_reason, rule.status_description,
                            rule.name};
    } else if (rule.action == RewriteAction::AbortRequest) {
      return Abort{rule.name};
    }
    if (rule.stop_processing) break;
  }
  if (rewritten_by.empty()) return Continue{};
  return Rewritten{encode_path(path), std::move(query), std::move(rewritten_by)};
}

}  // namespace gatehouse::rewrite

// PCRE2 compile (with JIT) and bounded matching.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rewrite/regex.hpp"

#include <pcre2.h>

#include "config/rewrite_model.hpp"

namespace gatehouse::rewrite {
namespace {

std::string message_of(int code) {
  PCRE2_UCHAR text[256];
  pcre2_get_error_message(code, text, sizeof text);
  return reinterpret_cast<const char*>(text);
}

}  // namespace

void MatchData::Free::operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }
void Regex::CodeFree::operator()(pcre2_code* p) const { pcre2_code_free(p); }
void Regex::ContextFree::operator()(pcre2_match_context* p) const { pcre2_match_context_free(p); }

MatchData::MatchData(std::uint32_t pairs) : data_(pcre2_match_data_create(pairs, nullptr)) {}

Result<Regex> Regex::compile(std::string_view pattern, bool ignore_case, std::string_view where, bool jit) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  Regex regex;
  regex.where_ = where;
  regex.code_.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  config::rewrite_regex_options(ignore_case), &code, &offset, nullptr));
  if (!regex.code_)
    return std::unexpected(Error::logic("compile regular expression", std::string{where},
                                        message_of(code) + " at offset " + std::to_string(offset)));
  // JIT is an optimisation: where it is missing (or W^X forbids it) the
  // interpreter runs under the same limits.
  regex.jit_ = jit && pcre2_jit_compile(regex.code_.get(), PCRE2_JIT_COMPLETE) == 0;
  std::uint32_t groups = 0;
  pcre2_pattern_info(regex.code_.get(), PCRE2_INFO_CAPTURECOUNT, &groups);
  regex.pairs_ = groups + 1;
  regex.context_.reset(pcre2_match_context_create(nullptr));
  if (!regex.context_)
    return std::unexpected(Error::logic("compile regular expression", std::string{where}, "out of memory"));
  pcre2_set_match_limit(regex.context_.get(), kMatchLimit);
  pcre2_set_depth_limit(regex.context_.get(), kDepthLimit);
  pcre2_set_heap_limit(regex.context_.get(), kHeapLimitKiB);
  return regex;
}

Result<bool> Regex::match(std::string_view subject, const MatchData& scratch,
                          std::vector<std::string>& captures) const {
  const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                             scratch.get(), context_.get());
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) return std::unexpected(Error::logic("rewrite", where_, "PCRE2 " + message_of(rc)));
  // rc == 0: the scratch has fewer pairs than groups; the first ones are still set.
  const std::uint32_t set = rc == 0 ? pcre2_get_ovector_count(scratch.get()) : static_cast<std::uint32_t>(rc);
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.get());
  captures.assign(pairs_, std::string{});
  for (std::uint32_t i = 0; i < set && i < pairs_; ++i) {
    if (ovector[2 * i] == PCRE2_UNSET) continue;
    captures[i].assign(subject.substr(ovector[2 * i], ovector[2 * i + 1] - ovector[2 * i]));
  }
  return true;
}

}  // namespace gatehouse::rewrite

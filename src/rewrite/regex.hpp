// A compiled PCRE2 pattern with JIT when the platform has it, and limits so
// that no subject (a hostile URL or header) can make one match run away.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

// PCRE2's opaque types, so users of this header do not see <pcre2.h>.
struct pcre2_real_code_8;
struct pcre2_real_match_context_8;
struct pcre2_real_match_data_8;

namespace gatehouse::rewrite {

// The most backtracking steps one match may take. A URL of the longest
// allowed length against an ordinary rule needs a few thousand; the limit
// turns a catastrophic pattern into an error within milliseconds.
inline constexpr std::uint32_t kMatchLimit = 100'000;
// The interpreter's (no JIT) recursion depth and heap (KiB) limits.
inline constexpr std::uint32_t kDepthLimit = 5'000;
inline constexpr std::uint32_t kHeapLimitKiB = 4'096;

// Scratch space for the captures of one match; one per evaluation, sized for
// the pattern with the most groups.
class MatchData {
 public:
  explicit MatchData(std::uint32_t pairs);
  pcre2_real_match_data_8* get() const { return data_.get(); }

 private:
  struct Free {
    void operator()(pcre2_real_match_data_8* p) const;
  };
  std::unique_ptr<pcre2_real_match_data_8, Free> data_;
};

class Regex {
 public:
  // `where` names the pattern in errors ("rule 'wordpress' (match)").
  // `jit` false keeps to the interpreter (tests of the fallback's limits).
  static Result<Regex> compile(std::string_view pattern, bool ignore_case, std::string_view where, bool jit = true);

  // Capture groups plus one (group 0, the whole match).
  std::uint32_t pairs() const { return pairs_; }
  bool jit() const { return jit_; }

  // Searches `subject` anywhere (anchor with ^ and $, as in IIS). On a match,
  // `captures` gets group 0..n (unset groups empty). An error when a limit
  // is reached: the request must fail rather than skip the rule.
  Result<bool> match(std::string_view subject, const MatchData& scratch, std::vector<std::string>& captures) const;

 private:
  struct CodeFree {
    void operator()(pcre2_real_code_8* p) const;
  };
  struct ContextFree {
    void operator()(pcre2_real_match_context_8* p) const;
  };
  std::unique_ptr<pcre2_real_code_8, CodeFree> code_;
  std::unique_ptr<pcre2_real_match_context_8, ContextFree> context_;
  std::uint32_t pairs_ = 1;
  bool jit_ = false;
  std::string where_;
};

}  // namespace gatehouse::rewrite

// The migration report: one item per IIS element or attribute that was read,
// saying where it was, what became of it and why.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gatehouse::iis {

enum class Outcome { Mapped, Approximated, NotMapped };

std::string_view to_string(Outcome outcome);

struct Item {
  std::string file;
  int line = 0;
  std::string element;  // "applicationPools/add[@name='shop']/processModel@identityType"
  Outcome outcome = Outcome::Mapped;
  std::string reason;
};

class Report {
 public:
  void add(std::string file, int line, std::string element, Outcome outcome, std::string reason);
  const std::vector<Item>& items() const { return items_; }
  // Clean: nothing was left out (approximations are said, but complete).
  bool clean() const;
  std::size_t count(Outcome outcome) const;

 private:
  std::vector<Item> items_;
};

// "file:line: element: outcome: reason" lines and a summary line.
std::string format_text(const Report& report);
nlohmann::json to_json(const Report& report);

}  // namespace gatehouse::iis

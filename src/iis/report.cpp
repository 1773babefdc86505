// Rendering of the migration report as text and as JSON.
#include "iis/report.hpp"

#include <algorithm>

namespace gatehouse::iis {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Mapped:
      return "mapped";
    case Outcome::Approximated:
      return "approximated";
    case Outcome::NotMapped:
      return "not-mapped";
  }
  return "not-mapped";
}

void Report::add(std::string file, int line, std::string element, Outcome outcome, std::string reason) {
  items_.push_back(Item{std::move(file), line, std::move(element), outcome, std::move(reason)});
}

bool Report::clean() const { return count(Outcome::NotMapped) == 0; }

std::size_t Report::count(Outcome outcome) const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [&](const Item& i) { return i.outcome == outcome; }));
}

std::string format_text(const Report& report) {
  std::string out;
  for (const auto& i : report.items()) {
    out += i.file + ":" + std::to_string(i.line) + ": " + i.element + ": " + std::string{to_string(i.outcome)} + ": " +
           i.reason + "\n";
  }
  out += std::to_string(report.count(Outcome::Mapped)) + " mapped, " +
         std::to_string(report.count(Outcome::Approximated)) + " approximated, " +
         std::to_string(report.count(Outcome::NotMapped)) + " not mapped\n";
  return out;
}

nlohmann::json to_json(const Report& report) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : report.items()) {
    items.push_back({{"file", i.file},
                     {"line", i.line},
                     {"element", i.element},
                     {"outcome", to_string(i.outcome)},
                     {"reason", i.reason}});
  }
  return {{"items", items},
          {"mapped", report.count(Outcome::Mapped)},
          {"approximated", report.count(Outcome::Approximated)},
          {"not_mapped", report.count(Outcome::NotMapped)}};
}

}  // namespace gatehouse::iis

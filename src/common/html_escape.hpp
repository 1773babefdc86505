// HTML escaping for text Gatehouse writes into its own pages (error pages,
// the status page): the five characters that can end an element or attribute.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse {

std::string html_escape(std::string_view text);

}  // namespace gatehouse

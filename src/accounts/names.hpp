// Account names Gatehouse derives from its configuration: the Linux form of
// IIS's "IIS AppPool\<pool>" virtual account. Pure functions, no system calls.
#pragma once

#include <string>
#include <string_view>

#include "config/model.hpp"

namespace gatehouse::accounts {

inline constexpr std::string_view kPoolAccountPrefix = "gh-pool-";
inline constexpr std::size_t kMaxAccountNameLength = 32;  // useradd's limit

// "gh-pool-<name>" within Linux's rules: lowercase [a-z0-9_-], at most 32
// characters. A pool name that had to be changed or shortened gets a stable
// "-<6 hex>" hash suffix of the original, so "Shop" and "shop" stay distinct.
std::string pool_account_name(std::string_view pool_name);

// The account a pool's workers run as: its own gh-pool-<name> for
// ApplicationPoolIdentity, otherwise the account named by `identity`.
std::string pool_account(const config::Pool& pool);

// Whether `name` is an account name useradd accepts (and Gatehouse would make).
bool is_valid_account_name(std::string_view name);

}  // namespace gatehouse::accounts

// The worker resolver; see grant.hpp.
#include "accounts/grant.hpp"

namespace gatehouse::accounts {

WorkerResolver worker_resolver(bool single_user) {
  return [single_user](const config::Pool& pool, const std::string& account) -> Result<Identity> {
    if (single_user) return Identity{};
    auto id = worker_identity(account);
    if (!id) {
      Error e = id.error();
      e.context = "[pool " + pool.name + "]";
      return std::unexpected(std::move(e));
    }
    return id;
  };
}

}  // namespace gatehouse::accounts

// Compares each root of the plan with its target, as apply would.
#include "perms/applied.hpp"

#include "perms/target.hpp"
#include "perms/walk.hpp"

namespace gatehouse::perms {

Result<Drift> check_applied(const Plan& plan) {
  Drift drift;
  auto ids = resolve_accounts(plan, &drift.accounts);
  if (!ids) return std::unexpected(ids.error());
  const TargetModel model(plan, std::move(*ids));
  for (const auto& [root, depth] : model.roots()) {
    auto fd = open_nofollow(root);
    if (!fd && fd.error().errnum == ENOENT) {
      drift.missing.push_back(root.string());
      continue;
    }
    if (!fd) return std::unexpected(fd.error());
    struct stat st {};
    if (fstat(fd->get(), &st) != 0) return std::unexpected(Error::sys("stat", root.string()));
    auto access = read_access_acl(fd->get());
    if (!access) return std::unexpected(access.error());
    std::optional<AclSpec> def;
    if (S_ISDIR(st.st_mode)) {
      auto d = read_default_acl(fd->get());
      if (!d) return std::unexpected(d.error());
      def = *d;
    }
    const Target t = model.target(root.string(), st, *access, def);
    if (!(t.access == *access) || (t.manage_default && t.default_acl != def)) drift.differ.push_back(root.string());
  }
  return drift;
}

}  // namespace gatehouse::perms

// Computes target ACLs from the plan. Inside a closed tree the plan's named
// entries are the only ones and group/other give nothing; elsewhere (the
// ancestors it traverses) only the plan's own entries change.
#include "perms/target.hpp"

#include <algorithm>

#include "accounts/identity.hpp"

namespace gatehouse::perms {
namespace {

template <class Map>
void drop_ids(Map& map, const std::vector<uid_t>& ids) {
  for (uid_t id : ids) map.erase(id);
}

void add_named(AclSpec& acl, const std::map<uid_t, unsigned>& named, bool keep_mask) {
  unsigned bits = 0;
  for (const auto& [uid, b] : named) {
    if (b != 0) acl.users[uid] = b;
    bits |= b;
  }
  if (acl.minimal()) {
    acl.mask.reset();
  } else if (keep_mask && acl.mask) {
    acl.mask = *acl.mask | bits;  // never widen what the owner's group gets beyond its old mask
  } else {
    acl.mask = acl.group_class();
  }
}

}  // namespace

bool within(std::string_view path, std::string_view root) {
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || root == "/" || path[root.size()] == '/';
}

Result<AccountIds> resolve_accounts(const Plan& plan, std::vector<std::string>* missing) {
  AccountIds ids;
  for (const auto& g : plan.grants) {
    if (ids.contains(g.account)) continue;
    auto identity = accounts::resolve_identity(g.account);
    if (!identity && missing && identity.error().errnum == ENOENT) {
      ids[g.account] = kPlaceholderUid + static_cast<uid_t>(missing->size());
      missing->push_back(g.account);
      continue;
    }
    if (!identity) {
      Error e = identity.error();
      e.detail =
          "the plan grants it access; create it first (gatehouse perms apply creates the accounts "
          "Gatehouse manages; an identity = \"<existing user>\" must exist already)";
      return std::unexpected(e);
    }
    ids[g.account] = identity->uid;
  }
  return ids;
}

TargetModel::TargetModel(const Plan& plan, AccountIds ids) : plan_(plan) {
  for (const auto& g : plan.grants) {
    const uid_t uid = ids.at(g.account);
    entries_.push_back(Entry{g.path.string(), uid, g.rights, g.scope, g.inherit});
    if (std::find(plan_uids_.begin(), plan_uids_.end(), uid) == plan_uids_.end()) plan_uids_.push_back(uid);
  }
  for (const auto& c : plan.closed) closed_.push_back(c.path.string());
}

bool TargetModel::covers(const Entry& e, const std::string& path, bool is_dir) const {
  switch (e.scope) {
    case Scope::ThisFolderOnly:
      return path == e.path;
    case Scope::ThisFolderAndFiles:
      return path == e.path || (!is_dir && path.size() > e.path.size() && within(path, e.path) &&
                                path.find('/', e.path.size() + 1) == std::string::npos);
    case Scope::WholeTree:
      return within(path, e.path);
  }
  return false;
}

bool TargetModel::inherits(const Entry& e, const std::string& dir) const {
  if (!e.inherit) return false;
  return e.scope == Scope::WholeTree ? within(dir, e.path) : (e.scope == Scope::ThisFolderAndFiles && dir == e.path);
}

bool TargetModel::is_closed(const std::string& path) const {
  return std::any_of(closed_.begin(), closed_.end(), [&](const std::string& root) { return within(path, root); });
}

Target TargetModel::target(const std::string& path, const struct stat& st, const AclSpec& access,
                           const std::optional<AclSpec>& default_acl) const {
  const bool is_dir = S_ISDIR(st.st_mode);
  const bool closed = is_closed(path);
  const bool owner_exec = (st.st_mode & S_IXUSR) != 0;
  std::map<uid_t, unsigned> named;
  std::map<uid_t, unsigned> inherited;
  // Outside the application trees, a folder whose mode already lets every
  // account through needs no traverse entry: apply leaves such system
  // folders (/, /srv, /var/lib) as they are.
  const bool open_to_all = !closed && (access.other & 1) && (access.group_obj & 1) && access.mask.value_or(1) & 1;
  for (const auto& e : entries_) {
    if (open_to_all && e.rights == kTraverseOnly && !access.users.contains(e.uid)) continue;
    if (covers(e, path, is_dir)) {
      // Like setfacl's X: files get x only when their owner already has it.
      const unsigned file = e.rights.file_bits() | (owner_exec && e.rights.file_bits() != 0 ? 1u : 0u);
      named[e.uid] |= is_dir ? e.rights.folder_bits() : file;
    }
    if (is_dir && inherits(e, path)) inherited[e.uid] |= e.rights.folder_bits() | e.rights.file_bits();
  }

  Target t;
  t.access = closed ? AclSpec{} : access;
  t.access.user_obj = (st.st_mode >> 6) & 7;
  drop_ids(t.access.users, plan_uids_);
  add_named(t.access, named, !closed);

  if (is_dir && (closed || !inherited.empty())) {
    t.manage_default = true;
    AclSpec base = default_acl.value_or(AclSpec{t.access.user_obj, t.access.group_obj, t.access.other, {}, {}, {}});
    AclSpec d = closed ? AclSpec{base.user_obj, 0, 0, {}, {}, {}} : base;
    drop_ids(d.users, plan_uids_);
    add_named(d, inherited, !closed && default_acl.has_value());
    t.default_acl = d;
  }
  return t;
}

std::vector<std::pair<Path, Depth>> TargetModel::roots() const {
  std::map<std::string, Depth> deepest;
  auto note = [&](const std::string& path, Depth depth) {
    auto [it, added] = deepest.emplace(path, depth);
    if (!added) it->second = std::max(it->second, depth);
  };
  for (const auto& e : entries_) {
    note(e.path, e.scope == Scope::WholeTree            ? Depth::Tree
                 : e.scope == Scope::ThisFolderAndFiles ? Depth::SelfAndFiles
                                                        : Depth::Self);
  }
  for (const auto& c : closed_) note(c, Depth::Tree);
  std::vector<std::pair<Path, Depth>> out;
  std::vector<std::string> trees;
  for (const auto& [path, depth] : deepest) {  // sorted: a tree comes before what lies inside it
    const bool inside = std::any_of(trees.begin(), trees.end(), [&](auto& t) { return within(path, t); });
    if (inside) continue;
    if (depth == Depth::Tree) trees.push_back(path);
    out.emplace_back(path, depth);
  }
  return out;
}

}  // namespace gatehouse::perms

#!/usr/bin/env bash
# `gatehouse perms apply` against `setfacl -R` producing the same ACLs on a
# 100,000-file tree (as root). Prints both times, the ratio, the no-op second
# apply, and checks that the two trees end up with identical `getfacl -R` dumps.
# Usage: bench/perms.sh [BUILD_DIR] [FILES]   (defaults: build, 100000)
set -euo pipefail
BUILD=${1:-build}
FILES=${2:-100000}
GH=$(realpath "$BUILD/gatehouse")
POOL=gh-bench-pool
IUSR=gh-bench-iusr
[ "$(id -u)" -eq 0 ] || { echo "perms.sh: run as root" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/gh-perms-bench.XXXXXX)
chmod 755 "$WORK"
made_accounts=()
cleanup() {
  # the apply also gave traverse on /var/tmp and /var: put them back first
  [ -f "$WORK/gh.toml" ] && "$GH" perms restore --config "$WORK/gh.toml" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  for a in "${made_accounts[@]}"; do userdel "$a" 2>/dev/null || true; done
}
trap cleanup EXIT
for a in $POOL $IUSR; do
  if ! id "$a" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$a"
    made_accounts+=("$a")
  fi
done

# The same tree twice: A for gatehouse, B for setfacl. 1,000 folders of FILES/1000 files.
make_tree() {
  local app=$1/app
  mkdir -p "$app"/{data,tmp,sessions,public}
  python3 - "$app/public" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = max(1, n // 1000)
for d in range((n + per - 1) // per):
    path = os.path.join(root, f"d{d:04}")
    os.mkdir(path)
    for f in range(min(per, n - d * per)):
        open(os.path.join(path, f"f{f:03}.php"), "w").close()
PY
  printf '[PHP]\nupload_tmp_dir = %s/tmp\nsession.save_path = %s/sessions\n' "$app" "$app" > "$app/php.ini"
}
make_tree "$WORK/a"
make_tree "$WORK/b"

cat > "$WORK/gh.toml" <<TOML
[server]
state_dir = "$WORK/state"
log_dir = "$WORK/log"
[accounts]
anonymous = "$IUSR"
[[pools]]
name = "bench"
identity = "$POOL"
php_ini = "$WORK/a/app/php.ini"
[[sites]]
name = "bench"
bindings = ["http://127.0.0.1:8099:bench.localhost"]
app_root = "$WORK/a/app"
physical_path = "$WORK/a/app/public"
pool = "bench"
writable = ["$WORK/a/app/data"]
TOML

sync
t0=$(date +%s%N)
"$GH" perms apply --config "$WORK/gh.toml" | tail -1
t1=$(date +%s%N)
"$GH" perms apply --config "$WORK/gh.toml" | tail -1
t2=$(date +%s%N)

# What an administrator would type for the same plan.
B=$WORK/b/app
t3=$(date +%s%N)
setfacl -R -m g::-,o::-,u:$POOL:rX,d:u::rwx,d:g::-,d:o::-,d:u:$POOL:rx "$B"
setfacl -R -m u:$IUSR:rX,d:u:$IUSR:rx "$B/public"
setfacl -R -m u:$POOL:rwX,d:u:$POOL:rwx "$B/data" "$B/tmp" "$B/sessions"
setfacl -m u:$IUSR:x "$B"
t4=$(date +%s%N)

dump() { (cd "$1" && getfacl -R -p app 2>/dev/null); }
if [ "$(dump "$WORK/a")" == "$(dump "$WORK/b")" ]; then same=yes; else same=NO; fi

ms() { echo $(( ($2 - $1) / 1000000 )); }
g=$(ms "$t0" "$t1"); n=$(ms "$t1" "$t2"); s=$(ms "$t3" "$t4")
printf 'files            %d\n' "$FILES"
printf 'gatehouse apply  %d ms\n' "$g"
printf 'second apply     %d ms (no change)\n' "$n"
printf 'setfacl -R       %d ms\n' "$s"
printf 'ratio            %d.%02dx faster than setfacl -R\n' $(( s / g )) $(( s * 100 / g % 100 ))
printf 'same ACLs        %s\n' "$same"
[ "$same" == yes ]

#!/usr/bin/env bash
# Static-file benchmark: Gatehouse against nginx, lighttpd, Apache and h2o on
# the same 1 KiB file (wrk -t1 -c32, loopback), through ../shared/bench/anchors.sh.
# Gatehouse gets as many I/O threads as the other servers get front-end
# workers ($FRONT, 1 unless --front N is passed). Extra arguments go to anchors.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BIN=${GATEHOUSE_BIN:-$repo/build/gatehouse}
ANCHORS=${ANCHORS:-$repo/../shared/bench/anchors.sh}
[ -x "$BIN" ] || { echo "static.sh: $BIN not built (make)" >&2; exit 1; }
[ -x "$ANCHORS" ] || { echo "static.sh: $ANCHORS not found" >&2; exit 1; }

# Run by anchors.sh in $RUNDIR with PORT, DOCROOT, FRONT set: write a config, serve in the foreground.
read -r -d '' CMD <<EOF || true
cat >gatehouse.toml <<CONF
[server]
state_dir = "\$RUNDIR/state"
log_dir = "\$RUNDIR/log"
threads = \$FRONT
[[pools]]
name = "bench"
[[sites]]
name = "bench"
bindings = ["http://127.0.0.1:\$PORT:*"]
app_root = "\$DOCROOT"
physical_path = "\$DOCROOT"
pool = "bench"
default_documents = ["index.html"]
CONF
exec "$BIN" serve --config gatehouse.toml
EOF

exec bash "$ANCHORS" --workloads static --stacks nginx-fpm,lighttpd,apache-fcgid,h2o --extra "gatehouse=$CMD" "$@"

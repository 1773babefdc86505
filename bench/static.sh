#!/usr/bin/env bash
# Static-file benchmark: Gatehouse against nginx, lighttpd, Apache and h2o on
# the same 1 KiB file, wrk -t1 -c32 keep-alive on loopback, in one run.
# The other servers run through ../shared/bench/anchors.sh; Gatehouse is
# measured right after with the same wrk settings and report script, since
# anchors.sh's sanity check also wants PHP pages (not served until the PHP
# handler lands; then `--extra gatehouse=...` can be used instead).
# Gatehouse gets as many I/O threads as the others get front-end workers.
# Usage: bench/static.sh [--duration S] [--front N]   (env GATEHOUSE_BIN, OUT)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BIN=${GATEHOUSE_BIN:-$repo/build/gatehouse}
ANCHORS=${ANCHORS:-$repo/../shared/bench/anchors.sh}
DURATION=5
FRONT=1
PORT=18990
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2;;
    --front) FRONT="$2"; shift 2;;
    *) echo "static.sh: unknown option $1" >&2; exit 2;;
  esac
done
[ -x "$BIN" ] || { echo "static.sh: $BIN not built (make)" >&2; exit 1; }
[ -x "$ANCHORS" ] || { echo "static.sh: $ANCHORS not found" >&2; exit 1; }
OUT=${OUT:-${TMPDIR:-/tmp}/gatehouse-bench/static-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/gatehouse/www"

echo "== anchors: nginx, lighttpd, apache, h2o" >&2
bash "$ANCHORS" --workloads static --stacks nginx-fpm,lighttpd,apache-fcgid,h2o \
  --duration "$DURATION" --front "$FRONT" --out "$OUT/anchors" >"$OUT/anchors.log" 2>&1 || true

echo "== gatehouse" >&2
G="$OUT/gatehouse"
head -c 1024 /dev/zero | tr '\0' 'a' >"$G/www/static.html"
cat >"$G/gatehouse.toml" <<CONF
[server]
state_dir = "$G/state"
log_dir = "$G/log"
threads = $FRONT
[[pools]]
name = "bench"
[[sites]]
name = "bench"
bindings = ["http://127.0.0.1:$PORT:*"]
app_root = "$G/www"
physical_path = "$G/www"
pool = "bench"
default_documents = ["index.html"]
CONF
cat >"$G/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  local errs = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("ANCHOR %.1f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errs))
end
LUA
"$BIN" serve --config "$G/gatehouse.toml" >"$G/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/static.html" && break; sleep 0.05; done
[ "$(curl -s "http://127.0.0.1:$PORT/static.html" | wc -c)" = 1024 ] || { echo "gatehouse did not serve"; cat "$G/serve.log"; exit 1; }
sleep 1
wrk -t1 -c32 -d1s "http://127.0.0.1:$PORT/static.html" >/dev/null 2>&1
sleep 0.2
wrk -t1 -c32 -d"${DURATION}s" --timeout 2s --latency -s "$G/report.lua" "http://127.0.0.1:$PORT/static.html" >"$G/wrk.txt" 2>&1
kill -TERM "$pid"; wait "$pid" || { echo "gatehouse exited with $?"; exit 1; }
trap - EXIT
read -r _ g_rps g_p50 g_p99 g_err < <(grep '^ANCHOR' "$G/wrk.txt")

# The table: every stack, then Gatehouse's ratios against h2o and nginx.
awk -F'\t' -v g="$g_rps" -v p50="$g_p50" -v p99="$g_p99" -v err="$g_err" '
  NR > 1 && $1 == "static" { rps[$2] = $3; l50[$2] = $4; l99[$2] = $5; e[$2] = $7; order[++n] = $2 }
  END {
    rps["gatehouse"] = g; l50["gatehouse"] = p50; l99["gatehouse"] = p99; e["gatehouse"] = err; order[++n] = "gatehouse"
    printf "%-14s %10s %8s %8s %6s %9s %9s\n", "server", "req/s", "p50 ms", "p99 ms", "errors", "vs h2o", "vs nginx"
    for (i = 1; i <= n; i++) {
      s = order[i]
      vh = (rps["h2o"] > 0 && rps[s] != "FAIL") ? sprintf("%.2fx", rps[s] / rps["h2o"]) : "-"
      vn = (rps["nginx-fpm"] > 0 && rps[s] != "FAIL") ? sprintf("%.2fx", rps[s] / rps["nginx-fpm"]) : "-"
      printf "%-14s %10s %8s %8s %6s %9s %9s\n", s, rps[s], l50[s], l99[s], e[s], vh, vn
    }
  }' "$OUT/anchors/results.tsv" | tee "$OUT/table.txt"
echo "(1 KiB file, wrk -t1 -c32, ${DURATION}s, $FRONT front-end thread(s); raw data in $OUT)"

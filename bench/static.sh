#!/usr/bin/env bash
# Static-file benchmark: Gatehouse against nginx, lighttpd, Apache and h2o on
# the same 1 KiB file (wrk -t1 -c32, keep-alive, loopback), in one run of
# ../shared/bench/anchors.sh. Prints req/s, p50, p99 and the ratios.
# Usage: bench/static.sh [anchors.sh options...]   e.g. --front 2 --duration 10
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
anchors=${ANCHORS:-$repo/../shared/bench/anchors.sh}
bin=${GATEHOUSE_BIN:-$repo/build/gatehouse}
[ -x "$bin" ] || { echo "static.sh: $bin not built (make)" >&2; exit 1; }
out=${OUT:-/tmp/gatehouse-bench/static-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
. "$here/machine.sh"
machine_mark
bash "$anchors" --stacks nginx-fpm,lighttpd,apache-fcgid,h2o --workloads static --out "$out" \
  --extra "gatehouse=GATEHOUSE_BIN=$bin exec bash $here/run-gatehouse.sh" "$@"
bash "$here/ratios.sh" "$out/results.tsv" gatehouse
machine_report "the run" | tee -a "$out/results.machine"

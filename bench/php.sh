#!/usr/bin/env bash
# PHP benchmark: Gatehouse against nginx + php-fpm, lighttpd + php-cgi, Apache +
# mod_fcgid, h2o and the php-fpm floor, in one run of ../shared/bench/anchors.sh,
# with the same number of PHP workers (2), and Gatehouse without its Landlock
# sandbox (gh-nosandbox) to show what the sandbox costs. Prints req/s, p50, p99 and ratios.
# Usage: bench/php.sh [anchors.sh options...]   (run as root for the other stacks' users)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
anchors=${ANCHORS:-$repo/../shared/bench/anchors.sh}
bin=${GATEHOUSE_BIN:-$repo/build/gatehouse}
[ -x "$bin" ] || { echo "php.sh: $bin not built (make)" >&2; exit 1; }
out=${OUT:-/tmp/gatehouse-bench/php-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
. "$here/machine.sh"
machine_mark
bash "$anchors" --workloads hello,session,sleep --out "$out" \
  --extra "gatehouse=GATEHOUSE_BIN=$bin exec bash $here/run-gatehouse.sh" \
  --extra "gh-nosandbox=GATEHOUSE_SANDBOX=false GATEHOUSE_BIN=$bin exec bash $here/run-gatehouse.sh" "$@"
bash "$here/ratios.sh" "$out/results.tsv" gatehouse
machine_report "the run" | tee -a "$out/results.machine"

#!/usr/bin/env bash
# ratios.sh RESULTS.TSV STACK: STACK's req/s against every other stack's, per
# workload, from an anchors.sh results.tsv (columns: workload stack rps p50 p99 ...).
set -euo pipefail
awk -F'\t' -v me="$2" 'NR>1 && $3 != "FAIL" {rps[$1"\t"$2]=$3; p99[$1"\t"$2]=$5; wl[$1]=1; st[$2]=1}
  END {
    printf "\n## %s against the others (req/s ratio, p99 ms)\n", me
    for (w in wl) {
      k = w "\t" me; if (!(k in rps)) continue
      for (s in st) { o = w "\t" s; if (s == me || !(o in rps) || rps[o] == 0) continue
        printf "%-8s %s/%s = %.2fx   (p99 %s ms vs %s ms)\n", w, me, s, rps[k] / rps[o], p99[k], p99[o] }
    }
  }' "$1"

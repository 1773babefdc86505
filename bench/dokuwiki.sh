#!/usr/bin/env bash
# DokuWiki page workload (issue 13): GET /doku.php?id=start, whose text is the
# wiki:welcome page of a fresh install, with 2 PHP workers on
#   gh-200      Gatehouse, instance_max_requests 200 (IIS's default) = PHP_FCGI_MAX_REQUESTS
#   gh-none     Gatehouse, no recycling
#   nginx-fpm   nginx -> php-fpm, pm static, max_children 2, pm.max_requests 200
#   h2o         h2o fastcgi.spawn of php-cgi, PHP_FCGI_CHILDREN 2, PHP_FCGI_MAX_REQUESTS 200
# wrk -t1 -c8, keep-alive; two rounds, the second in reverse order. Every stack
# gets its own copy of DokuWiki (from Debian's package, as tests/e2e/apps
# lays it out) and the same php.ini and extensions (php-cgi's conf.d). Servers
# run in their own process groups on 127.0.0.1:18100+, stopped by PID on exit.
# Prints req/s, p99 and CPU ms per request (server + PHP workers, user + system).
# Needs root, dokuwiki, wrk, nginx, php-fpm, h2o (make bench installs them).
# GATEHOUSE_SANDBOX=false turns the workers' Landlock sandbox off (to measure its cost).
# Usage: bench/dokuwiki.sh [--duration S] [--warmup S] [--stacks a,b,...] [--out DIR] [--keep]
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${GATEHOUSE_BIN:-$repo/build/gatehouse}
DURATION=10 WARMUP=3 STACKS="gh-200,gh-none,nginx-fpm,h2o" OUT="" KEEP=0 PORT_BASE=18100 CONC=8 WORKERS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2;;
    --warmup) WARMUP=$2; shift 2;;
    --stacks) STACKS=$2; shift 2;;
    --out) OUT=$2; shift 2;;
    --keep) KEEP=1; shift;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "dokuwiki.sh: unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
die() { echo "dokuwiki.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "run as root (Gatehouse creates its accounts; the others run PHP as www-data)"
[ -x "$bin" ] || die "$bin not built (make)"
[ -d /usr/share/dokuwiki ] || die "dokuwiki is not installed (bash scripts/deps.sh)"
for c in wrk curl nginx h2o php-cgi; do command -v "$c" >/dev/null || die "$c not found (make bench installs it)"; done
FPM=$(command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | sort -V | tail -1)
[ -n "$FPM" ] || die "php-fpm not found (make bench installs it)"
SCAN_DIR=$(echo '<?php echo PHP_CONFIG_FILE_SCAN_DIR;' | php-cgi -q)  # php-cgi's conf.d, for every stack
[ -d "$SCAN_DIR" ] || die "php-cgi names no conf.d folder (got '$SCAN_DIR')"

TMP=$(mktemp -d -t gh-bench-dokuwiki.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
OUT=${OUT:-/tmp/gatehouse-bench/dokuwiki-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
STARTED=()
descendants() {  # every live descendant of $1 (h2o's php-cgi run in sessions of their own)
  ps -e -o pid=,ppid= | awk -v r="$1" '{c[$2] = c[$2] " " $1} END {q[1] = r; n = 1
    for (i = 1; i <= n; i++) { k = split(c[q[i]], a, " "); for (j = 1; j <= k; j++) { q[++n] = a[j]; print a[j] } } }'
}
stop_group() {  # the leader gets SIGTERM (Gatehouse stops its workers itself), then what is left SIGKILL, by PID
  local pid=$1 i kids
  kids=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for i in $kids; do kill -KILL "$i" 2>/dev/null; done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
NEW_ACCOUNTS=()  # the Gatehouse accounts this run creates are removed at the end
for a in gh-pool-benchdw gh-bench-iusr; do id "$a" >/dev/null 2>&1 || NEW_ACCOUNTS+=("$a"); done
cleanup() {
  local p
  for p in "${STARTED[@]}"; do stop_group "$p"; done
  STARTED=()
  for p in "${NEW_ACCOUNTS[@]}"; do userdel "$p" 2>/dev/null; groupdel "$p" 2>/dev/null; done
  if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_bg() {  # start_bg LOG CMD...: a session of its own, so the whole tree can be stopped
  local logf=$1; shift
  setsid "$@" >"$logf" 2>&1 </dev/null &
  LAST=$!
  STARTED+=("$LAST")
}

# CPU seconds (user + system) of every process the stacks started, the
# workers they reaped included (cutime/cstime): per request, a figure that
# depends less on the machine's load than req/s does.
HZ=$(getconf CLK_TCK)
stack_cpu() {
  local p pids=""
  for p in "${STARTED[@]}"; do pids="$pids $p $(descendants "$p")"; done
  for p in $pids; do [ -r "/proc/$p/stat" ] && sed 's/^.*) //' "/proc/$p/stat"; done |
    awk -v hz="$HZ" '{ t += $12 + $13 + $14 + $15 } END { printf "%.3f", t / hz }'
}

cat >"$TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
EOF

# A stack's folder: its DokuWiki copy, php.ini (one text for all), sessions and uploads.
prepare() {  # prepare DIR
  local d=$1
  mkdir -p "$d/php/sessions" "$d/php/uploads" "$d/php/log"
  python3 "$repo/tests/e2e/apps/dokuwiki.py" "$d/dokuwiki" 0 || die "copying DokuWiki failed"
  cat >"$d/php/php.ini" <<EOF
; the same for every stack; extensions (opcache too) from $SCAN_DIR
display_errors = Off
log_errors = On
error_log = $d/php/log/php-error.log
memory_limit = 128M
output_buffering = 4096
opcache.enable = 1
opcache.memory_consumption = 64
opcache.validate_timestamps = 1
opcache.revalidate_freq = 2
session.save_path = "$d/php/sessions"
upload_tmp_dir = "$d/php/uploads"
EOF
}

start_gatehouse() {  # start_gatehouse DIR PORT MAX_REQUESTS (0: no recycling)
  local d=$1 port=$2 max=$3 imr=$3
  [ "$max" = 0 ] && imr=1000000000
  mkdir -p "$d/state" "$d/log"
  cat >"$d/gatehouse.toml" <<EOF
[server]
state_dir = "$d/state"
log_dir   = "$d/log"
threads   = 1

[accounts]
anonymous = "gh-bench-iusr"

[[pools]]
name    = "benchdw"
php_ini = "$d/php/php.ini"

[pools.sandbox]
enabled = ${GATEHOUSE_SANDBOX:-true}
read = ["/usr/share/javascript", "/usr/share/php-geshi"]

[pools.fastcgi]
max_instances         = $WORKERS
instance_max_requests = $imr

[pools.fastcgi.environment]
PHP_FCGI_MAX_REQUESTS = "$max"
PHP_INI_SCAN_DIR      = "$SCAN_DIR"

[[sites]]
name          = "dokuwiki"
bindings      = ["http://127.0.0.1:$port:*"]
app_root      = "$d/dokuwiki"
physical_path = "$d/dokuwiki"
pool          = "benchdw"
default_documents = ["doku.php"]
writable      = ["$d/dokuwiki/data"]

[sites.request_filtering]
hidden_segments = ["data", "conf", "bin", "inc", "vendor"]
EOF
  "$bin" perms apply --config "$d/gatehouse.toml" >"$d/apply.log" 2>&1 || { cat "$d/apply.log" >&2; return 1; }
  start_bg "$d/serve.log" "$bin" serve --config "$d/gatehouse.toml"
}

start_nginx-fpm() {  # start_nginx-fpm DIR PORT
  local d=$1 port=$2 i
  chown -R www-data:www-data "$d/dokuwiki/data" "$d/php"
  mkdir -p "$d/nginx"
  cat >"$d/php-fpm.conf" <<EOF
[global]
pid = $d/php-fpm.pid
error_log = $d/php-fpm.log
daemonize = no
[www]
user = www-data
group = www-data
listen = $d/php-fpm.sock
listen.owner = www-data
listen.mode = 0600
pm = static
pm.max_children = $WORKERS
pm.max_requests = 200
EOF
  PHP_INI_SCAN_DIR=$SCAN_DIR start_bg "$d/php-fpm.out" "$FPM" -F -y "$d/php-fpm.conf" -c "$d/php/php.ini"
  for i in $(seq 100); do [ -S "$d/php-fpm.sock" ] && break; sleep 0.05; done
  cat >"$d/nginx.conf" <<EOF
user www-data www-data;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $d/nginx/body;
  fastcgi_temp_path $d/nginx/fastcgi;
  proxy_temp_path $d/nginx/proxy;
  uwsgi_temp_path $d/nginx/uwsgi;
  scgi_temp_path $d/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $d/dokuwiki;
    index doku.php;
    location ~ /(data|conf|bin|inc|vendor)/ { return 404; }
    location ~ \.php\$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$d/php-fpm.sock;
    }
  }
}
EOF
  start_bg "$d/nginx.out" nginx -p "$d/nginx" -e "$d/nginx-error.log" -c "$d/nginx.conf"
}

start_h2o() {  # start_h2o DIR PORT
  local d=$1 port=$2
  chown -R www-data:www-data "$d/dokuwiki/data" "$d/php"
  cat >"$d/h2o.conf" <<EOF
listen:
  host: 127.0.0.1
  port: $port
error-log: $d/h2o-error.log
num-threads: 1
user: www-data
hosts:
  default:
    paths:
      /:
        file.dir: $d/dokuwiki
        file.index: [doku.php]
        file.custom-handler:
          extension: .php
          fastcgi.spawn: "PHP_INI_SCAN_DIR=$SCAN_DIR PHP_FCGI_CHILDREN=$WORKERS PHP_FCGI_MAX_REQUESTS=200 exec php-cgi -c $d/php/php.ini"
EOF
  start_bg "$d/h2o.out" h2o -c "$d/h2o.conf"
}

start_stack() {  # start_stack NAME DIR PORT
  case $1 in
    gh-200) start_gatehouse "$2" "$3" 200;;
    gh-none) start_gatehouse "$2" "$3" 0;;
    nginx-fpm|h2o) "start_$1" "$2" "$3";;
    *) die "unknown stack $1";;
  esac
}

# One measurement: the stack starts from a fresh copy, answers the page, is warmed, measured, stopped.
measure() {  # measure ROUND NAME PORT
  local round=$1 st=$2 port=$3 d="$TMP/$2-$1" url i line
  url="http://127.0.0.1:$port/doku.php?id=start"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then  # else this run would measure whatever listens there
    log "$st: port $port is already in use: not measured"
    printf '%s\t%s\tFAIL\n' "$round" "$st" >>"$OUT/results.tsv"
    return
  fi
  prepare "$d"
  start_stack "$st" "$d" "$port" || { printf '%s\t%s\tFAIL\n' "$round" "$st" >>"$OUT/results.tsv"; return; }
  for i in $(seq 100); do curl -s -o /dev/null --max-time 1 "$url" && break; sleep 0.1; done
  if ! curl -s --max-time 10 "$url" -o "$d/first.html" || ! grep -q "Welcome to your new DokuWiki" "$d/first.html"; then
    log "$st: the page is not served; logs kept in $OUT/$st-$round"
    mkdir -p "$OUT/$st-$round"; cp "$d"/*.log "$d"/*.out "$d"/*.conf "$d"/first.html "$d"/php/log/* "$OUT/$st-$round/" 2>/dev/null
    printf '%s\t%s\tFAIL\n' "$round" "$st" >>"$OUT/results.tsv"
  else
    wrk -t1 -c"$WORKERS" -d"${WARMUP}s" "$url" >/dev/null 2>&1
    cpu0=$(stack_cpu)
    wrk -t1 -c"$CONC" -d"${DURATION}s" --latency -s "$TMP/report.lua" "$url" >"$OUT/wrk-$st-$round.txt" 2>&1
    cpu1=$(stack_cpu)
    line=$(sed -n 's/^RESULT //p' "$OUT/wrk-$st-$round.txt")
    line="$line $(awk -v a="$cpu0" -v b="$cpu1" -v n="${line##* }" 'BEGIN { printf "%.2f", (n > 0 ? (b - a) * 1000 / n : 0) }')"
    printf '%s\t%s\t%s\n' "$round" "$st" "$(echo "$line" | tr ' ' '\t')" >>"$OUT/results.tsv"
    log "round $round $st: req/s p50_ms p99_ms errors requests cpu_ms/req = $line"
  fi
  for i in "${!STARTED[@]}"; do stop_group "${STARTED[$i]}"; done
  STARTED=()
}

IFS=, read -r -a LIST <<<"$STACKS"
printf 'round\tstack\trps\tp50_ms\tp99_ms\terrors\trequests\tcpu_ms_per_req\n' >"$OUT/results.tsv"
log "DokuWiki page, $WORKERS workers, wrk -c$CONC -d${DURATION}s, 2 rounds -> $OUT"
. "$here/machine.sh"
machine_mark
for round in 1 2; do
  order=("${LIST[@]}")
  [ "$round" = 2 ] && for ((i = 0; i < ${#LIST[@]}; i++)); do order[$i]=${LIST[$((${#LIST[@]} - 1 - i))]}; done
  for ((i = 0; i < ${#order[@]}; i++)); do
    st=${order[$i]}
    idx=0; for ((j = 0; j < ${#LIST[@]}; j++)); do [ "${LIST[$j]}" = "$st" ] && idx=$j; done
    measure "$round" "$st" $((PORT_BASE + idx))
  done
done

{
  echo "# bench/dokuwiki.sh $(date -Is): GET /doku.php?id=start, $WORKERS PHP workers, wrk -t1 -c$CONC -d${DURATION}s"
  echo "# host $(uname -sr), $(nproc) CPUs, loadavg $(cut -d' ' -f1-3 /proc/loadavg); $(php-cgi -v | head -1 | cut -d' ' -f1-2)"
  awk -F'\t' 'NR > 1 && $3 != "FAIL" { s[$2] += $3; n[$2]++; p99[$2] = p99[$2] " " $5; cpu[$2] += $8 }
    NR > 1 { if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } if ($3 == "FAIL") fail[$2] = 1 }
    END {
      printf "%-10s %10s %16s %12s\n", "stack", "req/s", "p99 ms (r1 r2)", "CPU ms/req"
      for (i = 1; i <= k; i++) { st = order[i]
        if (n[st]) printf "%-10s %10.1f %16s %12.2f%s\n", st, s[st] / n[st], p99[st], cpu[st] / n[st],
                          fail[st] ? "  (a round failed)" : ""
        else printf "%-10s %10s\n", st, "FAIL" }
      for (i = 1; i <= k; i++) for (j = 1; j <= k; j++) { a = order[i]; b = order[j]
        if (a ~ /^gh-/ && b !~ /^gh-/ && n[a] && n[b] && s[b] > 0)
          printf "%s / %s = %.2fx\n", a, b, (s[a] / n[a]) / (s[b] / n[b]) }
    }' "$OUT/results.tsv"
  echo "# means of the two rounds; CPU ms/req: user+system of the server and its PHP workers; raw: $OUT/results.tsv"
  machine_report "the two rounds"
} | tee "$OUT/table.txt"

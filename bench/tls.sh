#!/usr/bin/env bash
# TLS benchmark: h2load against Gatehouse, h2o and nginx on loopback, all with
# the same self-signed P-256 certificate: a static 1 KiB file (-m 10), PHP
# hello (Gatehouse and h2o, php-cgi behind each), and new TLS handshakes per
# second (-c clients, one request each). A server whose ALPN does not offer
# h2 is measured over HTTP/1.1 (h2load --h1) and marked so. With perf, the
# same runs are repeated under `perf stat -e instructions` on each server's
# process tree (php-cgi included): instructions per request do not depend on
# the machine's load, so they compare on a busy machine too.
# Usage: bench/tls.sh [-n REQUESTS] [-c CLIENTS] [-d SECONDS_PER_RUN]   (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${GATEHOUSE_BIN:-$repo/build/gatehouse}
n=20000 c=10 handshakes=2000
while getopts "n:c:h:" o; do
  case $o in n) n=$OPTARG ;; c) c=$OPTARG ;; h) handshakes=$OPTARG ;; *) exit 2 ;; esac
done
perf_ok=1
command -v perf >/dev/null || perf_ok=0
for tool in h2load h2o nginx openssl; do
  command -v $tool >/dev/null || { echo "tls.sh: $tool missing (bash scripts/deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "tls.sh: $bin not built (make)" >&2; exit 1; }

work=$(mktemp -d /tmp/gh-bench-tls-XXXXXX)
chmod 711 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
chmod 600 "$work/key.pem"
mkdir -p "$work/www" "$work/log"
head -c 1024 /dev/urandom > "$work/www/1k.txt"
echo '<?php echo "hello";' > "$work/www/hello.php"
chmod -R a+rX "$work/www"

gh_port=18443 h2o_port=18444 nginx_port=18445
cat > "$work/gatehouse.toml" <<EOF
[server]
state_dir = "$work/state"
log_dir = "$work/log/gh"
[[pools]]
name = "bench"
[pools.fastcgi]
max_instances = 2
instance_max_requests = 100000
[pools.sandbox]
enabled = false
[[sites]]
name = "bench"
bindings = ["https://127.0.0.1:$gh_port:*"]
app_root = "$work/www"
physical_path = "$work/www"
pool = "bench"
[sites.tls]
certificate = "$work/cert.pem"
key = "$work/key.pem"
EOF
cat > "$work/h2o.conf" <<EOF
listen:
  port: $h2o_port
  host: 127.0.0.1
  ssl:
    certificate-file: $work/cert.pem
    key-file: $work/key.pem
    minimum-version: TLSv1.2
error-log: $work/log/h2o-error.log
hosts:
  default:
    paths:
      /:
        file.dir: $work/www
        file.custom-handler:
          extension: .php
          fastcgi.spawn: "PHP_FCGI_CHILDREN=2 exec /usr/bin/php-cgi"
EOF
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/log/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
  }
}
EOF

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tls.sh: nothing listens on $1" >&2
  return 1
}

"$bin" serve --config "$work/gatehouse.toml" > "$work/log/gatehouse.out" 2>&1 &
pids+=($!)
gh_pid=$!
h2o -c "$work/h2o.conf" > "$work/log/h2o.out" 2>&1 &
pids+=($!)
h2o_pid=$!
nginx -c "$work/nginx.conf" -g "daemon off;" > "$work/log/nginx.out" 2>&1 &
pids+=($!)
nginx_pid=$!
wait_port $gh_port && wait_port $h2o_port && wait_port $nginx_port

# h2 when the server's ALPN offers it, else HTTP/1.1.
proto_of() {
  if echo | openssl s_client -connect 127.0.0.1:"$1" -alpn h2 2>/dev/null | grep -q "ALPN protocol: h2"; then
    echo h2
  else
    echo h1
  fi
}

run() {  # name port path clients streams requests
  local name=$1 port=$2 path=$3 clients=$4 streams=$5 requests=$6 proto flags=()
  proto=$(proto_of "$port")
  [ "$proto" = h1 ] && flags+=(--h1)
  local out
  out=$(h2load "${flags[@]}" -n "$requests" -c "$clients" -m "$streams" "https://127.0.0.1:$port$path" 2>&1 || true)
  local rps ok
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",", "", $4); print $4}')
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  printf "%-10s %-8s %-4s %12s req/s  (%s succeeded of %s)\n" "$name" "${path#/}" "$proto" "${rps:-?}" "${ok:-?}" \
    "$requests"
}

. "$here/machine.sh"
machine_mark
echo "# static 1 KiB, -c $c -m 10, $n requests"
run gatehouse $gh_port /1k.txt "$c" 10 "$n"
run h2o $h2o_port /1k.txt "$c" 10 "$n"
run nginx $nginx_port /1k.txt "$c" 10 "$n"
echo "# PHP hello, -c $c -m 1, $((n / 4)) requests"
run gatehouse $gh_port /hello.php "$c" 1 $((n / 4))
run h2o $h2o_port /hello.php "$c" 1 $((n / 4))
echo "# new TLS handshakes: $handshakes clients, one request each (req/s = handshakes/s)"
run gatehouse $gh_port /1k.txt "$handshakes" 1 "$handshakes"
run h2o $h2o_port /1k.txt "$handshakes" 1 "$handshakes"
run nginx $nginx_port /1k.txt "$handshakes" 1 "$handshakes"

# Instructions per request (user + kernel) of each server's whole process
# tree, counted by perf for the duration of one h2load run.
tree_pids() {  # root pid -> "p1,p2,..." (the root and its descendants)
  local all=$1 frontier=$1 next
  while [ -n "$frontier" ]; do
    next=$(ps -o pid= --ppid "$(echo $frontier | tr ' ' ,)" 2>/dev/null | tr -s ' \n' ' ' || true)
    next=$(echo $next)
    [ -n "$next" ] && all="$all $next"
    frontier=$next
  done
  echo $all | tr ' ' ,
}

count() {  # name root-pid port path clients streams requests
  local name=$1 root=$2 port=$3 path=$4 clients=$5 streams=$6 requests=$7 flags=()
  [ "$(proto_of "$port")" = h1 ] && flags+=(--h1)
  perf stat -x, -e instructions,task-clock -p "$(tree_pids "$root")" -o "$work/perf.txt" -- \
    h2load "${flags[@]}" -n "$requests" -c "$clients" -m "$streams" "https://127.0.0.1:$port$path" >/dev/null 2>&1 ||
    true
  local total cpu_ms
  total=$(awk -F, '$3 == "instructions" {print $1}' "$work/perf.txt")
  cpu_ms=$(awk -F, '$3 == "task-clock" {print $1}' "$work/perf.txt")
  if [[ "$total" =~ ^[0-9]+$ ]]; then
    printf "%-10s %-9s %12d instructions/request" "$name" "${path#/}" $((total / requests))
  else  # a VM without hardware counters: CPU time, which still excludes waiting
    printf "%-10s %-9s %12s instructions/request" "$name" "${path#/}" "n/a"
  fi
  awk -v ms="$cpu_ms" -v n="$requests" 'BEGIN { if (ms != "") printf "  %8.1f us CPU/request\n", ms * 1000 / n; else print "" }'
}

if [ "$perf_ok" = 1 ]; then
  echo "# instructions and CPU time per request (perf stat, the server's whole process tree)"
  count gatehouse "$gh_pid" $gh_port /1k.txt "$c" 10 "$n"
  count h2o "$h2o_pid" $h2o_port /1k.txt "$c" 10 "$n"
  count nginx "$nginx_pid" $nginx_port /1k.txt "$c" 10 "$n"
  count gatehouse "$gh_pid" $gh_port /hello.php "$c" 1 $((n / 4))
  count h2o "$h2o_pid" $h2o_port /hello.php "$c" 1 $((n / 4))
  echo "# ... per new TLS handshake (one request each)"
  count gatehouse "$gh_pid" $gh_port /1k.txt "$handshakes" 1 "$handshakes"
  count h2o "$h2o_pid" $h2o_port /1k.txt "$handshakes" 1 "$handshakes"
  count nginx "$nginx_pid" $nginx_port /1k.txt "$handshakes" 1 "$handshakes"
fi
machine_report "the timed runs and the counts"

#!/usr/bin/env bash
# Installs the Debian packages Gatehouse needs to build, test and benchmark.
# Idempotent: installs only what is missing; does nothing when not root.
set -euo pipefail

# Sessions out of process (tests/e2e/test_redis_sessions.py): Redis and phpredis; the farm test
# (tests/e2e/test_farm.py): HAProxy, network namespaces (iproute2) and nsenter (util-linux).
FARM=(redis-server php-redis haproxy iproute2 util-linux)

BUILD=(build-essential cmake pkg-config
       libboost-system-dev libboost-dev
       libtomlplusplus-dev libacl1-dev libcap-dev libcli11-dev
       libspdlog-dev libfmt-dev nlohmann-json3-dev libpugixml-dev libssl-dev
       libpam0g-dev libpcre2-dev libseccomp-dev libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev ccache clang-format)
TLS=(libnghttp2-dev nghttp2-client python3-h2 testssl.sh)  # issue 11: HTTP/2, h2load/nghttp, raw h2 frames, testssl
RUNTIME=(php-cgi acl passwd libpam-modules)
TEST=(curl procps python3 mariadb-server php-mysql lintian dpkg-dev logrotate
      # real applications (tests/e2e/test_dokuwiki.py, test_mediawiki.py; php-cli runs their set-up scripts); nginx is
      # named before mediawiki so that it, not apache2, satisfies "apache2 | httpd" in one apt-get run (bench/ uses it)
      php-cli dokuwiki php-sqlite3 nginx mediawiki
      chromium)  # the status page test (tests/e2e/test_admin.py): headless screenshot and DOM
# APCu shared by the instances of a worker set (e2e test_shared_cache, issue 15)
TEST+=(php-apcu)

missing=()
for p in "${BUILD[@]}" "${TLS[@]}" "${RUNTIME[@]}" "${TEST[@]}" "${FARM[@]}" "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
  exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# ctest package.contents: builds the .deb with CPack, checks its file list,
# control data and lintian's verdict (when lintian is installed), then unpacks
# it into a temporary root and runs the packaged binary: `version`, and
# `check` on the shipped configuration (as shipped, and with the demo enabled).
# Usage: check_package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d /tmp/gh-package-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

timeout 900 cmake --build "$build" --target gatehouse gatehouse_docs >/dev/null
(cd "$tmp" && timeout 300 cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log"; fail "cpack"; }
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb, got: ${debs[*]}"
deb=${debs[0]}
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/files"
cat "$tmp/files"
for f in /usr/sbin/gatehouse /lib/systemd/system/gatehouse.service /etc/gatehouse/gatehouse.toml \
         /etc/logrotate.d/gatehouse /usr/share/man/man8/gatehouse.8.gz \
         /usr/share/bash-completion/completions/gatehouse /usr/share/doc/gatehouse/copyright \
         /usr/share/doc/gatehouse/changelog.gz; do
  grep -qx "$f" "$tmp/files" || fail "$f is not in the package"
done
# Nothing else than what is installed on purpose (no headers, tests, static libraries).
if grep -E '\.(a|h|hpp|cmake)$|_test$|/include/' "$tmp/files"; then fail "unexpected files in the package"; fi
dpkg-deb -c "$deb" | grep -E ' \./usr/sbin/gatehouse$' | grep -q '^-rwxr-xr-x root/root' ||
  fail "/usr/sbin/gatehouse is not root's 0755"

dpkg-deb -f "$deb" Depends | tee "$tmp/depends"
grep -q 'php-cgi' "$tmp/depends" || fail "Depends lacks php-cgi"
grep -q 'libc6' "$tmp/depends" || fail "Depends lacks the shared libraries (shlibdeps)"
dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' >"$tmp/control"
for script in preinst postinst prerm postrm; do
  grep -qx "$script" "$tmp/control" && fail "the package has a $script: installing must create nothing"
done
dpkg-deb -e "$deb" "$tmp/ctrl"
grep -qx /etc/gatehouse/gatehouse.toml "$tmp/ctrl/conffiles" || fail "gatehouse.toml is not a conffile"
grep -qx /etc/logrotate.d/gatehouse "$tmp/ctrl/conffiles" || fail "the logrotate file is not a conffile"

if command -v lintian >/dev/null; then
  # Errors fail the test; warnings are printed for the reader.
  lintian --fail-on error --suppress-tags no-manual-page "$deb" | tee "$tmp/lintian" || fail "lintian reports errors"
else
  [ "${CI:-}" = true ] && fail "lintian is missing under CI (scripts/deps.sh installs it)"
  echo "lintian not installed: skipped (the other checks ran)"
fi

root=$tmp/root
dpkg-deb -x "$deb" "$root"
version=$("$root/usr/sbin/gatehouse" version)
[ "$version" = "gatehouse 0.1.0" ] || fail "gatehouse version said: $version"
bash -n "$root/usr/share/bash-completion/completions/gatehouse" || fail "bash completion does not parse"
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$root/usr/share/man/man8/gatehouse.8.gz" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "man page warnings: $warnings"
fi

# The shipped configuration, with its folders moved into the temporary root.
relocate() { sed -e "s|/var/lib/gatehouse|$tmp/state|g" -e "s|/var/log/gatehouse|$tmp/log|g"; }
relocate <"$root/etc/gatehouse/gatehouse.toml" >"$tmp/shipped.toml"
"$root/usr/sbin/gatehouse" check --config "$tmp/shipped.toml" >"$tmp/check1" 2>&1 ||
  { cat "$tmp/check1"; fail "check of the shipped configuration"; }
# The demo it carries commented out ('#' config, '##' prose), enabled.
sed -e 's/^#\([^#]\)/\1/' -e 's/^#$//' "$tmp/shipped.toml" >"$tmp/demo.toml"
mkdir -p "$tmp/state/demo/www/uploads" "$tmp/log"
echo '<?php phpinfo();' >"$tmp/state/demo/www/index.php"
touch "$tmp/state/demo/php.ini"
"$root/usr/sbin/gatehouse" check --config "$tmp/demo.toml" >"$tmp/check2" 2>&1 ||
  { cat "$tmp/check2"; fail "check of the shipped demo, enabled"; }
grep -q 'site demo' "$tmp/check2" || { cat "$tmp/check2"; fail "the enabled demo has no site demo"; }
grep -q 'configuration OK' "$tmp/check2" || fail "check did not say OK"

# The unit refers to the packaged binary and configuration.
grep -qx 'ExecStart=/usr/sbin/gatehouse serve --config /etc/gatehouse/gatehouse.toml' \
  "$root/lib/systemd/system/gatehouse.service" || fail "ExecStart"
grep -qx 'Type=notify' "$root/lib/systemd/system/gatehouse.service" || fail "Type=notify"
grep -qx 'ExecReload=/usr/sbin/gatehouse reload --config /etc/gatehouse/gatehouse.toml' \
  "$root/lib/systemd/system/gatehouse.service" || fail "ExecReload"
echo "package.contents: OK"

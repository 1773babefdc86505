#!/usr/bin/env bash
# Started by anchors.sh as an --extra stack (in RUNDIR, with PORT, DOCROOT,
# WORKERS, FRONT, PHP_INI, SESSION_DIR set; GATEHOUSE_SANDBOX=false turns the
# workers' Landlock sandbox off): writes a Gatehouse configuration
# serving DOCROOT with WORKERS php-cgi workers and runs the server in the foreground.
set -euo pipefail
mkdir -p "$RUNDIR/state" "$RUNDIR/log"
cat >"$RUNDIR/gatehouse.toml" <<TOML
[server]
state_dir = "$RUNDIR/state"
log_dir   = "$RUNDIR/log"
threads   = $FRONT

[[pools]]
name     = "bench"
identity = "${GATEHOUSE_IDENTITY:-ApplicationPoolIdentity}"
php_cgi  = "/usr/bin/php-cgi"
php_ini  = "$PHP_INI"

[pools.sandbox]
enabled = ${GATEHOUSE_SANDBOX:-true}

[pools.fastcgi]
max_instances         = $WORKERS
instance_max_requests = 100000
queue_length          = 100000

[pools.fastcgi.environment]
PHP_FCGI_MAX_REQUESTS = "100000"
PHP_INI_SCAN_DIR      = ""

[[sites]]
name          = "bench"
bindings      = ["http://127.0.0.1:$PORT:*"]
app_root      = "$DOCROOT"
physical_path = "$DOCROOT"
pool          = "bench"
default_documents = ["index.html"]

[sites.authentication.anonymous]
enabled = true
user    = "${GATEHOUSE_ANONYMOUS:-IUSR}"
TOML
exec "$GATEHOUSE_BIN" serve --config "$RUNDIR/gatehouse.toml"

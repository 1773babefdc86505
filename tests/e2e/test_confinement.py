"""The hacked-site test: PHP of pool A tries what a web shell would try, and
fails each time, while A's normal work (pages, sessions, uploads, MariaDB over
its unix socket and over TCP) keeps succeeding and pool B keeps answering.
Also: a worker's fds (nothing of the server crosses exec), the log folder is
closed to pool accounts, and impersonating pools cannot reach each other's
workers. MariaDB (Debian's mariadb-server) runs privately in a temp folder."""
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from ghtest import BIN, Server, free_port, write
from test_identity import delete_account, require_root

DB_PASSWORD = "pw-" + secrets.token_hex(4)


class MariaDB:
    """mariadbd on a unix socket in its own temp folder and on a loopback port."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="gh-db-")
        os.chmod(self.tmp, 0o755)  # PHP (a pool account) reaches the socket through it
        self.datadir = os.path.join(self.tmp, "data")
        self.socket = os.path.join(self.tmp, "mysqld.sock")
        self.port = free_port()
        self.proc = None

    def start(self, timeout=60):
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.datadir, "--user=root",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, capture_output=True, timeout=timeout)
        self.log = open(os.path.join(self.tmp, "mysqld.log"), "wb")
        self.proc = subprocess.Popen(["mariadbd", "--no-defaults", "--datadir=" + self.datadir, "--user=root",
                                      "--socket=" + self.socket, "--port=%d" % self.port,
                                      "--bind-address=127.0.0.1", "--pid-file=" + os.path.join(self.tmp, "pid"),
                                      "--skip-log-bin", "--innodb-buffer-pool-size=16M"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self.sql_ok("SELECT 1"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("mariadbd did not start: " + open(self.log.name).read()[-2000:])
            time.sleep(0.2)
        self.sql(f"""CREATE DATABASE app;
CREATE TABLE app.notes (id INT PRIMARY KEY, body VARCHAR(64));
INSERT INTO app.notes VALUES (1, 'hello from mariadb');
CREATE USER 'app'@'localhost' IDENTIFIED BY '{DB_PASSWORD}';
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}';
GRANT SELECT ON app.* TO 'app'@'localhost';
GRANT SELECT ON app.* TO 'app'@'127.0.0.1';""")
        return self

    def sql(self, text):
        return subprocess.run(["mariadb", "--no-defaults", "-S", self.socket, "-u", "root", "-e", text],
                              check=True, capture_output=True, text=True, timeout=20).stdout

    def sql_ok(self, text):
        try:
            self.sql(text)
            return True
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# What pool A's PHP tries. Each attempt reports ok and PHP's own message.
ATTACKS = r"""<?php
header('Content-Type: application/json');
function attempt(callable $f) {
    error_clear_last();
    $r = @$f();
    $e = error_get_last();
    return ['ok' => $r !== false && $r !== null && $r !== '',
            'value' => is_string($r) ? substr($r, 0, 200) : (is_resource($r) ? 'a resource' : $r),
            'error' => $e ? $e['message'] : null];
}
$out = [
  'outside_file' => attempt(fn() => file_get_contents($_GET['outside'])),
  'other_pool_file' => attempt(fn() => file_get_contents($_GET['other'])),
  'shell' => attempt(fn() => shell_exec('/bin/sh -c id')),
  'other_socket' => attempt(fn() => stream_socket_client('unix://' . $_GET['socket'], $no, $str, 2)),
  'other_worker_mem' => attempt(fn() => fopen('/proc/' . (int)$_GET['pid'] . '/mem', 'r')),
  'other_worker_signal' => attempt(fn() => posix_kill((int)$_GET['pid'], 0)),
  'stderr_forgery' => attempt(function () {
      $f = fopen('php://stderr', 'w');
      ftruncate($f, 0);
      return fwrite($f, "forged by a hacked site\n");
  }),
  'webshell_written' => attempt(fn() => file_put_contents(__DIR__ . '/uploads/shell.php', '<?php echo "pwned";')),
];
echo json_encode($out, JSON_INVALID_UTF8_SUBSTITUTE);
"""

FORK = r"""<?php
$procs = []; $error = null;
for ($i = 0; $i < 500; $i++) {
    $p = @proc_open(['/usr/bin/sleep', '3'], [], $pipes);
    if ($p === false) { $error = error_get_last()['message'] ?? 'failed'; break; }
    $procs[] = $p;
}
$n = count($procs);
foreach ($procs as $p) { proc_terminate($p, 9); proc_close($p); }
echo json_encode(['forked' => $n, 'error' => $error]);
"""

NORMAL = r"""<?php
session_start();
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
$out = ['page' => 'A works', 'session' => $_SESSION['n']];
if (isset($_FILES['f'])) {
    $dest = __DIR__ . '/uploads/' . basename($_FILES['f']['name']);
    $out['upload'] = move_uploaded_file($_FILES['f']['tmp_name'], $dest);
}
foreach (['unix' => ['localhost', null, $_GET['sock']], 'tcp' => ['127.0.0.1', (int)$_GET['port'], null]] as $k => $c) {
    try {
        $db = new mysqli($c[0], 'app', $_GET['pw'], 'app', $c[1] ?? 0, $c[2]);
        $out['db_' . $k] = $db->query('SELECT body FROM notes WHERE id = 1')->fetch_row()[0];
    } catch (Throwable $e) { $out['db_' . $k] = 'error: ' . $e->getMessage(); }
}
echo json_encode($out);
"""


def multipart(name, filename, data):
    boundary = "gh" + secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


class TwoSites(Server):
    """Sites a and b in pools of their own (own accounts), laid out by
    `perms apply`; pool a has a memory limit and a low process limit, and may
    run /usr/bin/sleep (so a fork bomb has something to hold)."""

    def __init__(self, impersonate=False):
        super().__init__()
        tag = secrets.token_hex(3)
        self.tag = tag
        self.pools = {"a": "cfa" + tag, "b": "cfb" + tag}
        self.anonymous = "gh-canon-" + tag
        self.apps = {s: os.path.join(self.root, s) for s in "ab"}
        text = f"""
[server]
state_dir = "{self.root}/state"
log_dir = "{self.log_dir}"
threads = 2

[accounts]
anonymous = "{self.anonymous}"
"""
        for s in "ab":
            app = self.apps[s]
            for d in ("public/uploads", "sessions", "tmp"):
                os.makedirs(os.path.join(app, d), mode=0o700)
            ini = (f"session.save_path = \"{app}/sessions\"\nupload_tmp_dir = \"{app}/tmp\"\n"
                   f"memory_limit = -1\nfastcgi.impersonate = {1 if impersonate else 0}\n")
            write(os.path.join(app, "php.ini"), ini, 0o600)
            write(os.path.join(app, "secret.txt"), f"secret of {s} {tag}", 0o600)
            limits = '[pools.limits]\nmemory = "96M"\nmax_processes = 40\n[pools.sandbox]\nexecute = ["/usr/bin/sleep"]\n'
            text += f"""
[[pools]]
name = "{self.pools[s]}"
php_ini = "{app}/php.ini"
{limits if s == "a" else ""}
[[sites]]
name = "{s}"
bindings = ["http://127.0.0.1:{self.port}:{s}.test"]
app_root = "{app}"
physical_path = "{app}/public"
pool = "{self.pools[s]}"
writable = ["{app}/public/uploads"]
"""
            if not impersonate:
                text += "[sites.authentication.anonymous]\nuser = \"pool\"\n"
        with open(self.config, "w") as f:
            f.write(text)

    def account(self, site):
        return "gh-pool-" + self.pools[site]

    def php(self, site, name, text):
        write(os.path.join(self.apps[site], "public", name), text, 0o600)

    def perms_apply(self):
        r = subprocess.run([BIN, "perms", "apply", "--config", self.config], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"perms apply exited with {r.returncode}: {r.stdout}{r.stderr}")

    def workers(self, site):
        """pids of the php-cgi workers of a site's pool (by their socket names)."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"php-cgi" not in f.read():
                        continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    mine = self.apps[site] + "/php.ini" in f.read().decode(errors="replace")
                if mine:
                    pids.append(int(pid))
            except OSError:
                pass
        return pids

    def close(self):
        try:
            super().close()
        finally:
            for name in [self.account("a"), self.account("b"), self.anonymous]:
                delete_account(name)


def as_account(account, fn):
    """Runs fn() in a child with the account's uid, gid and groups; returns its exit code."""
    pw = pwd.getpwnam(account)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups(os.getgrouplist(account, pw.pw_gid))
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os._exit(0 if fn() else 1)
        except BaseException:
            os._exit(2)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


class HackedSite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.db = MariaDB()
        cls.s = s = TwoSites()
        try:
            cls.db.start()
            s.php("a", "attack.php", ATTACKS)
            s.php("a", "fork.php", FORK)
            s.php("a", "normal.php", NORMAL)
            s.php("a", "eat.php", "<?php $s = str_repeat('x', 300 << 20); echo strlen($s);")
            s.php("b", "pid.php", "<?php echo getmypid();")
            s.start()
            s.perms_apply()
            # outside everything: a world-readable file in a world-readable folder
            cls.outside_dir = tempfile.mkdtemp(prefix="gh-outside-")
            os.chmod(cls.outside_dir, 0o755)
            cls.outside = os.path.join(cls.outside_dir, "readable.txt")
            write(cls.outside, "anyone may read this", 0o644)
            # pool B's secret, made world-readable along its whole path (a permission mistake)
            cls.b_secret = os.path.join(s.apps["b"], "secret.txt")
            for p in (s.root, s.apps["b"]):
                os.chmod(p, os.stat(p).st_mode | 0o755)
            os.chmod(cls.b_secret, 0o644)
            r = s.request("/pid.php", host="b.test")
            assert r.status == 200, r
            cls.b_pid = int(r.body)
            sockets = os.path.join(s.root, "state", "sockets")
            cls.b_socket = next(os.path.join(sockets, n) for n in os.listdir(sockets) if n.startswith(s.pools["b"]))
            q = f"outside={cls.outside}&other={cls.b_secret}&socket={cls.b_socket}&pid={cls.b_pid}"
            r = s.request("/attack.php?" + q, host="a.test")
            assert r.status == 200, f"{r} {s.output()}"
            cls.attacks = json.loads(r.body)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if hasattr(cls, "s"):
                code = cls.s.stop()
                out = cls.s.output()
                cls.s.close()
                assert code == 0, f"gatehouse exited with {code}: {out}"
        finally:
            cls.db.stop()
            if hasattr(cls, "outside_dir"):
                shutil.rmtree(cls.outside_dir, ignore_errors=True)

    def assert_failed(self, key):
        got = self.attacks[key]
        self.assertFalse(got["ok"], f"{key}: the hacked site got {got}")

    def normal(self, cookie=None, body=b"", headers=None):
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        q = f"/normal.php?sock={self.db.socket}&port={self.db.port}&pw={DB_PASSWORD}"
        return self.s.request(q, method="POST" if body else "GET", headers=h, body=body, host="a.test")

    # -- the normal work keeps working ---------------------------------------

    def test_pages_sessions_uploads_and_mariadb_work(self):
        r = self.normal()
        self.assertEqual(r.status, 200, r)
        first = json.loads(r.body)
        self.assertEqual(first["page"], "A works")
        self.assertEqual(first["db_unix"], "hello from mariadb", first)
        self.assertEqual(first["db_tcp"], "hello from mariadb", first)
        cookie = r.header("set-cookie").split(";")[0]
        body, headers = multipart("f", "photo.txt", b"an uploaded photo")
        r = self.normal(cookie, body, headers)
        self.assertEqual(r.status, 200, r)
        second = json.loads(r.body)
        self.assertEqual(second["session"], 2, second)
        self.assertTrue(second["upload"], second)
        r = self.s.request("/uploads/photo.txt", host="a.test")
        self.assertEqual((r.status, r.body), (200, b"an uploaded photo"))

    # -- the attempts fail ---------------------------------------------------

    def test_reading_a_world_readable_file_outside_the_plan_fails(self):
        with open(self.outside) as f:  # it is there and readable by the permission bits
            self.assertEqual(f.read(), "anyone may read this")
        self.assert_failed("outside_file")
        self.assertIn("Permission denied", self.attacks["outside_file"]["error"])

    def test_reading_pool_b_file_made_world_readable_fails(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.b_secret).st_mode) & 0o004, 0o004)
        self.assert_failed("other_pool_file")

    def test_running_a_shell_fails(self):
        self.assert_failed("shell")

    def test_connecting_to_pool_b_worker_socket_fails(self):
        self.assert_failed("other_socket")

    def test_reaching_pool_b_worker_memory_or_signalling_it_fails(self):
        self.assert_failed("other_worker_mem")
        self.assert_failed("other_worker_signal")

    def test_a_php_file_written_into_the_upload_folder_does_not_run(self):
        self.assertTrue(self.attacks["webshell_written"]["ok"], self.attacks["webshell_written"])
        r = self.s.request("/uploads/shell.php", host="a.test")
        self.assertNotIn(b"pwned", r.body)
        self.assertEqual(r.status, 404)
        # Logged as IIS logs it: 403.1, execute access denied.
        deadline = time.monotonic() + 5
        lines = []
        while time.monotonic() < deadline:
            lines = [l for l in self.s.access_log_lines("a") if "/uploads/shell.php" in l]
            if lines:
                break
            time.sleep(0.1)
        self.assertTrue(lines, "no access log line for /uploads/shell.php")
        self.assertIn(" 403 1 ", lines[-1])

    def test_forking_500_children_stops_at_the_pools_process_limit(self):
        started = time.monotonic()
        r = self.s.request("/fork.php", host="a.test")
        self.assertEqual(r.status, 200, r)
        got = json.loads(r.body)
        self.assertLess(got["forked"], 40, got)
        self.assertIsNotNone(got["error"], got)
        self.assertLess(time.monotonic() - started, 30)
        # only that pool suffered: B answers, and A recovers once the children are gone
        self.assertEqual(self.s.request("/pid.php", host="b.test").status, 200)
        self.assertEqual(self.normal().status, 200)

    def test_allocating_past_the_memory_limit_kills_only_that_worker(self):
        r = self.s.request("/eat.php", host="a.test")
        self.assertNotEqual(r.status, 200, r)  # the kernel killed the worker at the pool's 96M
        self.assertNotIn(str(300 << 20).encode(), r.body)
        self.assertEqual(self.s.request("/pid.php", host="b.test").status, 200)
        deadline = time.monotonic() + 10
        while self.normal().status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.normal().status, 200)

    # -- issue 16, holes 2 and 3 ----------------------------------------------

    def test_worker_has_only_its_socket_and_dev_null_from_the_server(self):
        pids = self.s.workers("a")
        self.assertTrue(pids)
        for pid in pids:
            fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            self.assertTrue(fds[0].startswith("socket:"), fds)
            self.assertEqual((fds[1], fds[2]), ("/dev/null", "/dev/null"), fds)
            for fd, target in fds.items():
                self.assertFalse(target.startswith(self.s.root + "/log") or target == self.s.stderr_path, (fd, fds))
        self.assertNotIn("forged by a hacked site", self.s.output())
        self.assertIn("listening on", self.s.output())  # not truncated

    def test_log_folder_and_files_are_closed_to_pool_accounts(self):
        log = os.path.join(self.s.log_dir, "error.log")
        st = os.stat(self.s.log_dir)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        self.assertEqual(stat.S_IMODE(os.stat(log).st_mode), 0o640)
        for account in (self.s.account("a"), self.s.anonymous):
            self.assertNotEqual(as_account(account, lambda: open(log).read(1) is not None), 0, account)
            self.assertNotEqual(as_account(account, lambda: os.listdir(self.s.log_dir) is not None), 0, account)


class ImpersonatingPools(unittest.TestCase):
    """fastcgi.impersonate = 1 and one anonymous account: PHP of both pools
    runs as the same uid; still neither reaches the other's workers."""

    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.s = s = TwoSites(impersonate=True)
        try:
            s.php("a", "probe.php", ATTACKS)
            s.php("b", "pid.php", "<?php echo getmypid(), ' ', posix_geteuid();")
            s.start()
            s.perms_apply()
            r = s.request("/pid.php", host="b.test")
            assert r.status == 200, f"{r} {s.output()}"
            pid, uid = map(int, r.body.split())
            assert uid == pwd.getpwnam(s.anonymous).pw_uid, (uid, s.anonymous)
            cls.b_pid = pid
            r = s.request(f"/probe.php?outside=/nonexistent&other=/nonexistent&socket=/nonexistent&pid={pid}",
                          host="a.test")
            assert r.status == 200, f"{r} {s.output()}"
            cls.probe = json.loads(r.body)
        except BaseException:
            s.close()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.s.stop()
        out = cls.s.output()
        cls.s.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def test_same_uid_worker_of_other_pool_cannot_be_read_or_signalled(self):
        for key in ("other_worker_mem", "other_worker_signal"):
            self.assertFalse(self.probe[key]["ok"], f"{key}: {self.probe[key]}")


if __name__ == "__main__":
    unittest.main()

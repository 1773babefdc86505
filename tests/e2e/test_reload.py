"""Reload and recycle under load (issue 12): a bounded load generator (Python
threads, keep-alive) runs against a static file, a PHP page and a PHP session
page while the server is reloaded 20 times between two configurations (SIGHUP
and `gatehouse reload`, alternately), recycled by hand (`gatehouse recycle`)
and by itself (instance_max_requests, monitor_changes_to). Not one request may
fail or be reset. Configuration B adds a site, a binding and a pool, and
changes pool main's settings and php.ini; A removes them again. An invalid
file changes nothing and is reported with file:line. Prints the figures."""
import http.client
import os
import signal
import subprocess
import threading
import time
import unittest

from ghtest import BIN, free_port, write
from test_php import open_tree

RELOADS = 20
THREADS = 6


def gh(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def p99(samples):
    if not samples:
        return 0.0
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))] * 1000


class Load:
    """THREADS clients, each on its own keep-alive connection, cycling through
    the three pages; a failure is any status but 200, a wrong body, a reset or
    a timeout. `phase` labels each sample."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.phase = "baseline"
        self.samples = {}   # phase -> [seconds]
        self.failures = []  # (phase, what)
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(THREADS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def run(self, index):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        cookie = None
        n = 0
        while not self.stop.is_set():
            page = ("/static.txt", "/hello.php", "/session.php")[(n + index) % 3]
            n += 1
            headers = {"Host": "main.test"}
            if page == "/session.php" and cookie:
                headers["Cookie"] = cookie
            phase = self.phase
            began = time.monotonic()
            try:
                conn.request("GET", page, headers=headers)
                r = conn.getresponse()
                body = r.read()
                ok = r.status == 200
                if page == "/static.txt":
                    ok = ok and body == b"static\n"
                elif page == "/hello.php":
                    ok = ok and body.startswith(b"hello ")
                else:
                    got = r.getheader("Set-Cookie")
                    if got:
                        cookie = got.split(";", 1)[0]
                    ok = ok and body.startswith(b"visits ")
                what = f"{page}: {r.status} {body[:80]!r}"
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                ok, what = False, f"{page}: {type(e).__name__} {e}"
                conn.close()
            with self.lock:
                self.samples.setdefault(phase, []).append(time.monotonic() - began)
                if not ok:
                    self.failures.append((phase, what))
        conn.close()


class ReloadUnderLoad(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.TemporaryDirectory(prefix="gh-reload-")
        self.root = root = self.tmp.name
        self.port, self.port_b = free_port(), free_port()
        www = f"{root}/www"
        write(f"{www}/static.txt", "static\n")
        write(f"{www}/hello.php", "<?php echo 'hello ', ini_get('memory_limit');")
        write(f"{www}/session.php",
              "<?php session_start(); $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1; echo 'visits ', $_SESSION['n'];")
        write(f"{root}/extra/index.php", "<?php echo 'extra site';")
        for name, limit in (("a", "64M"), ("b", "96M")):
            write(f"{root}/php-{name}.ini",
                  f"cgi.fix_pathinfo = 0\nmemory_limit = {limit}\nsession.gc_probability = 0\nsession.save_path = \"{root}/sessions\"\n")
        write(f"{root}/php-extra.ini", "cgi.fix_pathinfo = 0\n")
        os.makedirs(f"{root}/sessions")
        open_tree(root)
        os.chmod(f"{root}/sessions", 0o1733)
        self.config = f"{root}/gatehouse.toml"
        self.write_config("a")

    def tearDown(self):
        self.tmp.cleanup()

    def text(self, which):
        root = self.root
        max_instances, extra = (2, "") if which == "a" else (3, f"""
[[pools]]
name = "extra"
php_ini = "{root}/php-extra.ini"

[[sites]]
name = "extra"
bindings = ["http://127.0.0.1:{self.port_b}:*"]
app_root = "{root}/extra"
physical_path = "{root}/extra"
pool = "extra"
""")
        return f"""
[server]
state_dir = "{root}/state"
log_dir = "{root}/log"
threads = 2
shutdown_timeout = "10s"

[[pools]]
name = "main"
php_ini = "{root}/php-{which}.ini"

[pools.fastcgi]
max_instances = {max_instances}
instance_max_requests = 40
monitor_changes_to = "{root}/php-{which}.ini"

[pools.fastcgi.environment]
PHP_FCGI_MAX_REQUESTS = "1000"

[[sites]]
name = "main"
bindings = ["http://127.0.0.1:{self.port}:*"]
app_root = "{root}/www"
physical_path = "{root}/www"
pool = "main"
{extra}"""

    def write_config(self, which):
        tmp = self.config + ".new"
        write(tmp, self.text(which))
        os.rename(tmp, self.config)

    def get(self, port, path, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def status(self):
        import json
        r = gh("status", "--json", "--config", self.config)
        self.assertEqual(r.returncode, 0, r)
        return json.loads(r.stdout)

    def pool(self, name):
        (p,) = [p for p in self.status()["pools"] if p["name"] == name]
        return p

    def test_reloads_and_recycles_under_load_fail_no_request(self):
        stderr = open(f"{self.root}/stderr.log", "wb")
        proc = subprocess.Popen([BIN, "serve", "--config", self.config], stdout=stderr, stderr=subprocess.STDOUT)
        load = None
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if self.get(self.port, "/static.txt")[0] == 200:
                        break
                except OSError:
                    pass
                self.assertIsNone(proc.poll(), "gatehouse exited")
                self.assertLess(time.monotonic(), deadline, "gatehouse did not start")
                time.sleep(0.05)
            self.assertEqual(self.get(self.port, "/hello.php"), (200, b"hello 64M"))
            with self.assertRaises(OSError):
                self.get(self.port_b, "/")

            load = Load(self.port).start()
            time.sleep(3)
            load.phase = "reloads"
            started = time.monotonic()
            seen_b = seen_extra = False
            for i in range(RELOADS):
                which = "b" if i % 2 == 0 else "a"
                self.write_config(which)
                if i % 2 == 0:
                    r = gh("reload", "--config", self.config)
                    self.assertEqual(r.returncode, 0, r)
                    self.assertIn("reloaded", r.stdout)
                else:
                    proc.send_signal(signal.SIGHUP)
                if i == 4:
                    self.assertEqual(gh("recycle", "main", "--config", self.config).returncode, 0)
                if i == 6:  # monitor_changes_to: the php.ini in force is touched
                    os.utime(f"{self.root}/php-{which}.ini")
                time.sleep(0.5)
                if which == "b":
                    deadline = time.monotonic() + 5
                    while not seen_extra and time.monotonic() < deadline:
                        try:
                            seen_extra = self.get(self.port_b, "/index.php") == (200, b"extra site")
                        except OSError:
                            time.sleep(0.05)
                    seen_b = seen_b or self.get(self.port, "/hello.php") == (200, b"hello 96M")
            reload_seconds = time.monotonic() - started
            time.sleep(1)
            load.phase = "after"
            time.sleep(1)
            load.finish()

            self.assertTrue(seen_extra, "the site added by the reload never answered")
            self.assertTrue(seen_b, "pool main never ran with configuration B's php.ini")
            # Configuration A is in force: the extra binding is closed, the pool gone.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    self.get(self.port_b, "/", timeout=1)
                    time.sleep(0.1)
                except OSError:
                    break
            else:
                self.fail("the binding removed by the reload still accepts connections")
            self.assertEqual(self.get(self.port, "/hello.php"), (200, b"hello 64M"))
            self.assertNotIn("extra", [p["name"] for p in self.status()["pools"]])
            main = self.pool("main")
            recycles = sum(s["recycles"] for s in main["worker_sets"])

            base, during = load.samples.get("baseline", []), load.samples.get("reloads", [])
            total = sum(len(v) for v in load.samples.values())
            print(f"\nreload figures: {RELOADS} reloads in {reload_seconds:.1f}s; requests {total} "
                  f"(baseline {len(base)}, during reloads {len(during)}); failures {len(load.failures)}; "
                  f"p99 without reloads {p99(base):.1f} ms, during reloads {p99(during):.1f} ms; "
                  f"pool main worker-set recycles now {recycles}", flush=True)
            self.assertEqual(load.failures, [], load.failures[:10])
            self.assertGreater(len(during), 100)

            # An invalid file: every problem with file:line, nothing changes, serving goes on.
            write(self.config, self.text("b").replace("max_instances = 3", "max_instances = \"many\"")
                  .replace('threads = 2', 'threads = 2\nnot_a_key = 1'))
            r = gh("reload", "--config", self.config)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(f"{self.config}:", r.stderr)
            self.assertIn("max_instances", r.stderr)
            self.assertIn("not_a_key", r.stderr)
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            self.assertEqual(self.get(self.port, "/hello.php"), (200, b"hello 64M"))
            with self.assertRaises(OSError):
                self.get(self.port_b, "/")
            with open(f"{self.root}/log/error.log") as f:
                log = f.read()
            self.assertRegex(log, rf"reload: {self.config}:\d+:\d+: .*max_instances")
            self.assertIn("nothing changed, serving goes on", log)
        finally:
            if load:
                load.finish()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
            stderr.close()
            with open(f"{self.root}/stderr.log") as f:
                out = f.read()
        self.assertEqual(code, 0, out[-3000:])


if __name__ == "__main__":
    unittest.main()

"""The admin listener (issue 12): off by default; on [server.admin] listen it
serves Prometheus metrics whose counts match known traffic exactly (requests by
status class, 401.3 denials, bytes, durations, pool spawns, recycles by reason,
queue wait), and the HTML status page, which headless Chromium renders (a
screenshot kept under build/) and whose text the test reads through the DOM.
A non-loopback address is a loud warning from `check`."""
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.request

from ghtest import BIN, free_port, write
from test_php import PhpServer


def gh(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers, r.read().decode()


def metric(text, name, **labels):
    """The value of one sample; labels must match exactly (all of them)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{{{want}}} in:\n" + "\n".join(
        l for l in text.splitlines() if l.startswith(name))[:3000])


class AdminListener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin_port = free_port()
        cls.server = PhpServer(fastcgi="max_instances = 2",
                               server=f'\n[server.admin]\nlisten = "127.0.0.1:{cls.admin_port}"\n')
        www = cls.server.www
        write(os.path.join(www, "a.txt"), "0123456789")
        write(os.path.join(www, "hello.php"), "<?php echo 'hi';")
        write(os.path.join(www, "secret.txt"), "no")
        cls.server.start()
        os.chmod(os.path.join(www, "secret.txt"), 0o600)  # the anonymous account cannot read it: 401.3
        cls.base = f"http://127.0.0.1:{cls.admin_port}"
        # The site's port is bound (and accepts into its backlog) before the admin listener starts.
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.admin_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def get(self, path):
        s = self.server.connect()
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return int(data.split(b" ", 2)[1])

    def test_1_metrics_count_known_traffic_exactly(self):
        before = fetch(self.base + "/metrics")[2]
        self.assertEqual(metric(before, "gatehouse_requests_total", site="main", code="2xx"), 0)
        statuses = [self.get("/a.txt") for _ in range(5)] + [self.get("/hello.php") for _ in range(3)] + \
                   [self.get("/missing.txt") for _ in range(2)] + [self.get("/secret.txt")]
        self.assertEqual(statuses, [200] * 8 + [404, 404, 401], statuses)
        self.assertEqual(gh("recycle", "main", "--config", self.server.config).returncode, 0)
        self.assertEqual(self.get("/hello.php"), 200)
        time.sleep(0.3)
        status, headers, text = fetch(self.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("text/plain; version=0.0.4", headers["Content-Type"])
        m = lambda name, **l: metric(text, name, **l)
        self.assertEqual(m("gatehouse_requests_total", site="main", code="2xx"), 9)
        self.assertEqual(m("gatehouse_requests_total", site="main", code="4xx"), 3)
        self.assertEqual(m("gatehouse_requests_total", site="main", code="5xx"), 0)
        self.assertEqual(m("gatehouse_access_denied_total", site="main"), 1)
        self.assertEqual(m("gatehouse_request_duration_seconds_count", site="main"), 12)
        self.assertEqual(m("gatehouse_request_duration_seconds_bucket", site="main", le="+Inf"), 12)
        self.assertGreater(m("gatehouse_response_bytes_total", site="main"), 5 * 10 + 4 * 2)
        self.assertEqual(m("gatehouse_pool_requests_total", pool="main", account="gh-pool-main"), 4)
        self.assertEqual(m("gatehouse_pool_queue_wait_seconds_count", pool="main", account="gh-pool-main"), 4)
        self.assertEqual(m("gatehouse_pool_recycles_total", pool="main", account="gh-pool-main", reason="manual"), 1)
        self.assertEqual(m("gatehouse_pool_recycles_total", pool="main", account="gh-pool-main", reason="reload"), 0)
        self.assertEqual(m("gatehouse_pool_spawns_total", pool="main", account="gh-pool-main"), 2)
        self.assertEqual(m("gatehouse_pool_online", pool="main"), 1)
        self.assertEqual(m("gatehouse_pool_rapid_fail_events_total", pool="main", account="gh-pool-main"), 0)
        self.assertEqual(m("gatehouse_pool_queue_length", pool="main", account="gh-pool-main"), 0)
        self.assertEqual(m("gatehouse_pool_instances", pool="main", account="gh-pool-main", state="idle"), 1)
        for line in text.splitlines():  # Prometheus conventions
            if line.startswith("# TYPE"):
                _, _, name, kind = line.split()
                self.assertTrue(name.startswith("gatehouse_"), line)
                if kind == "counter":
                    self.assertTrue(name.endswith("_total"), line)
                if "duration" in name or "wait" in name:
                    self.assertTrue(name.endswith("_seconds"), line)

    def test_2_status_page_in_a_real_browser(self):
        status, headers, html = fetch(self.base + "/status")
        self.assertEqual(status, 200)
        self.assertIn('http-equiv="refresh"', html)
        self.assertNotRegex(html, r'(src|href)="(https?:)?//', "an external asset")
        self.assertNotIn("<script", html)
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        chromium = shutil.which("chromium")
        if not chromium:
            if os.environ.get("CI") == "true":
                self.fail("chromium is not installed (scripts/deps.sh installs it)")
            self.skipTest("chromium is not installed")
        time.sleep(2.5)  # a second sample for the chart
        out_dir = os.path.join(os.environ.get("GH_SOURCE_DIR", "../.."), "build", "e2e-admin")
        os.makedirs(out_dir, exist_ok=True)
        shot = os.path.abspath(os.path.join(out_dir, "status-page.png"))
        profile = os.path.join(self.server.root, "chromium")
        common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                  "--window-size=1000,800", "--hide-scrollbars"]
        r = subprocess.run(common + [f"--screenshot={shot}", self.base + "/status"],
                           capture_output=True, timeout=90)
        self.assertTrue(os.path.getsize(shot) > 5000, r.stderr[-2000:])
        dom = subprocess.run(common + ["--dump-dom", self.base + "/status"], capture_output=True, text=True,
                             timeout=90).stdout
        text = re.sub(r"<[^>]+>", " ", dom)
        text = re.sub(r"\s+", " ", text)
        self.assertIn("Gatehouse status", text)
        self.assertRegex(text, r"main gh-pool-main online .*\d+ busy, \d+ idle")
        self.assertIn("manual", text)  # the recycle of test_1, with its reason
        self.assertRegex(text, r"Requests per second over the last \d+ s")
        self.assertRegex(text, r"Error rate \(5xx\) over the same time: 0\.0%")
        self.assertRegex(text, r"main \d+ \d+ 0 \d+ 0 0\.0%")
        self.assertIn('id="rate-chart"', dom)
        print(f"\nstatus page screenshot: {shot}", flush=True)

    def test_3_the_admin_listener_refuses_what_it_does_not_serve(self):
        with socket.create_connection(("127.0.0.1", self.admin_port), timeout=5) as s:
            s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b" 405 ", s.recv(4096))
        with self.assertRaises(urllib.error.HTTPError) as e:
            fetch(self.base + "/../../etc/passwd")
        self.assertEqual(e.exception.code, 404)
        with socket.create_connection(("127.0.0.1", self.admin_port), timeout=5) as s:
            s.sendall(b"G" * 9000)
            self.assertIn(b" 400 ", s.recv(4096))
        self.assertEqual(fetch(self.base + "/metrics")[0], 200)  # still answering


class AdminConfiguration(unittest.TestCase):
    def config(self, listen):
        port = free_port()
        return f"""
[server]
state_dir = "/tmp/gh-admin-check"
log_dir = "/tmp/gh-admin-check/log"
[server.admin]
listen = "{listen}"
[[pools]]
name = "p"
[[sites]]
name = "s"
bindings = ["http://127.0.0.1:{port}:*"]
app_root = "/tmp"
physical_path = "/tmp"
pool = "p"
"""

    def check(self, listen):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(self.config(listen))
        try:
            return gh("check", "--config", f.name)
        finally:
            os.unlink(f.name)

    def test_loopback_is_quiet_other_addresses_warn_loudly_bad_ones_fail(self):
        r = self.check("127.0.0.1:9180")
        self.assertIn("admin listener: http://127.0.0.1:9180/metrics", r.stdout)
        self.assertNotIn("reachable from other machines", r.stdout + r.stderr)
        r = self.check("0.0.0.0:9180")
        self.assertIn("reachable from other machines", r.stdout + r.stderr)
        r = self.check("localhost:x")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("expected \"IP:PORT\"", r.stdout + r.stderr)

    def test_off_by_default(self):
        server = PhpServer()
        try:
            server.start()
            out = server.output()
            self.assertNotIn("admin listener", out)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

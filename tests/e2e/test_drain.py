"""Readiness and draining (issue 18), against the real server under the split
(root's default) and with --one-process: GET /ready on the admin listener
answers 200, then 503 as soon as `gatehouse drain` runs, while the site keeps
answering 200; the drain waits for --quiet seconds without a new request and
for a request still in flight, and counts what arrived meanwhile; a reload
(under the split: a new front) keeps the node drained; --cancel turns
readiness back on; --stop ends the server. A pool whose php-cgi exits at
once is taken offline by rapid-fail protection and /ready answers 503 naming it."""
import os
import re
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from ghtest import BIN, Server, free_port, write
from test_php import PhpServer, open_tree


def gh(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def ready(port):
    """(status, body) of GET /ready."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class AdminServer(PhpServer):
    def __init__(self, fastcgi="max_instances = 4", **kw):
        self.admin_port = free_port()
        super().__init__(fastcgi=fastcgi, server=f'\n[server.admin]\nlisten = "127.0.0.1:{self.admin_port}"\n', **kw)

    def start_with(self, args):
        open_tree(self.root)
        super(PhpServer, self).start(args=args)
        wait_for(lambda: self._admin_up(), 20, "the admin listener")
        return self

    def _admin_up(self):
        try:
            return ready(self.admin_port)[0] in (200, 503)
        except OSError:
            return False


class Load:
    """Threads sending GET /sleep.php?ms=30 until stopped; records each start time and status."""

    def __init__(self, server, threads=3):
        self.server, self.stop_flag, self.lock = server, threading.Event(), threading.Lock()
        self.records = []  # (monotonic start, status)
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        for _ in range(100000):  # bounded; stopped long before
            if self.stop_flag.is_set():
                return
            started = time.monotonic()
            try:
                status = self.server.get("/sleep.php?ms=30")[0]
            except OSError as e:
                status = repr(e)
            with self.lock:
                self.records.append((started, status))

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)
        return self.records


class Drain:
    """Readiness and `gatehouse drain` on one server; `args` picks the process model."""
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = AdminServer()
        write(os.path.join(cls.server.www, "sleep.php"),
              "<?php usleep((int)($_GET['ms'] ?? 30) * 1000); echo 'slept';")
        cls.server.start_with(cls.args)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def test_a_drain_turns_readiness_off_waits_for_quiet_and_in_flight_then_cancel_and_stop(self):
        port = self.server.admin_port
        self.assertEqual(ready(port), (200, "ready\n"))
        load = Load(self.server)
        time.sleep(0.5)
        began = time.monotonic()
        drain = subprocess.Popen([BIN, "drain", "--config", self.server.config, "--quiet", "1.5", "--deadline", "30"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(ready(port)), 5, "/ready 503")
            off_at = time.monotonic()
            self.assertIn("draining", body)
            time.sleep(1.0)  # the balancer would still send for a moment: served as usual
            # The last request to arrive is a slow one: the drain must wait for it.
            slow = {}
            slow_thread = threading.Thread(target=lambda: slow.update(
                status=self.server.get("/sleep.php?ms=3000")[0], done=time.monotonic()))
            slow_started = time.monotonic()
            slow_thread.start()
            time.sleep(0.2)
            records = load.stop()
            out, err = drain.communicate(timeout=40)
            drained_at = time.monotonic()
        finally:
            load.stop()
            if drain.poll() is None:
                drain.kill()
                drain.wait()
        slow_thread.join(10)
        self.assertEqual(drain.returncode, 0, (out, err))
        self.assertEqual(slow.get("status"), 200, slow)
        # In flight when the balancer stopped: the drain answered only after it ended.
        self.assertLess(slow["done"], drained_at)
        self.assertIn("no request in flight", out)
        self.assertIn("waiting until no request arrived for 1.5s (at most 30.0s)", out)
        statuses = [s for _, s in records]
        self.assertTrue(statuses and set(statuses) == {200}, statuses[:20])
        m = re.search(r"drained in ([\d.]+)s: (\d+) requests? arrived while draining", out)
        self.assertTrue(m, out)
        seen = int(m.group(2))
        after_off = sum(1 for t, _ in records if t >= off_at) + 1  # + the slow one
        since_began = sum(1 for t, _ in records if t >= began) + 1 + len(load.threads)  # + those under way
        self.assertGreaterEqual(seen, after_off, out)
        self.assertLessEqual(seen, since_began, out)
        # quiet (1.5 s) counted from the slow request's arrival, then its last ~1.3 s
        self.assertGreaterEqual(float(m.group(1)), slow_started - began + 1.5 - 0.3, out)
        self.assertLess(drained_at - slow_started, 6, out)
        # Draining does not stop serving.
        self.assertEqual(self.server.get("/sleep.php?ms=1")[0], 200)
        self.assertEqual(ready(port)[0], 503)
        # A second drain follows the first one (its result stays).
        again = gh("drain", "--config", self.server.config, "--quiet", "9")
        self.assertEqual(again.returncode, 0, again)
        self.assertIn("a drain is already under way", again.stdout)
        self.assertIn(f"drained in {m.group(1)}s", again.stdout)
        # Called off: ready again.
        cancel = gh("drain", "--config", self.server.config, "--cancel")
        self.assertEqual(cancel.returncode, 0, cancel)
        self.assertEqual(ready(port), (200, "ready\n"))
        self.assertEqual(gh("drain", "--config", self.server.config, "--cancel").returncode, 1)

    def test_ab_a_reload_keeps_the_node_drained_until_cancel(self):
        port, cfg = self.server.admin_port, self.server.config
        r = gh("drain", "--config", cfg, "--quiet", "0", "--deadline", "5")
        self.assertEqual(r.returncode, 0, r)
        # Under the split a reload starts a new front: the supervisor tells it the node drains.
        r = gh("reload", "--config", cfg, timeout=90)
        self.assertEqual(r.returncode, 0, r)
        time.sleep(0.5)
        status, body = ready(port)
        self.assertEqual(status, 503, body)
        self.assertIn("draining", body)
        self.assertEqual(gh("drain", "--config", cfg, "--cancel").returncode, 0)
        self.assertEqual(ready(port), (200, "ready\n"))
        r = gh("reload", "--config", cfg, timeout=90)
        self.assertEqual(r.returncode, 0, r)
        time.sleep(0.5)
        self.assertEqual(ready(port), (200, "ready\n"))

    def test_b_drain_stop_ends_the_server(self):
        r = gh("drain", "--config", self.server.config, "--quiet", "0.2", "--deadline", "5", "--stop")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("drained in", r.stdout)
        self.assertIn("stopped", r.stdout)
        self.assertEqual(self.server.proc.wait(30), 0)


class DrainSplit(Drain, unittest.TestCase):
    args = ()


class DrainOneProcess(Drain, unittest.TestCase):
    args = ("--one-process",)


class DrainWithoutAdminListener(unittest.TestCase):
    def test_the_cli_warns_that_no_balancer_can_see_readiness(self):
        server = Server()
        try:
            server.start()
            r = gh("drain", "--config", server.config, "--quiet", "0", "--deadline", "5")
            self.assertEqual(r.returncode, 0, r)
            self.assertIn("has no [server.admin] listen: no balancer can see GET /ready", r.stderr)
            self.assertIn("drained in", r.stdout)
        finally:
            code = server.stop()
            out = server.output()
            server.close()
        self.assertEqual(code, 0, out)


class RapidFailIsNotReady(unittest.TestCase):
    def test_a_pool_whose_php_cgi_exits_at_once_makes_the_node_not_ready(self):
        server = AdminServer(fastcgi="max_instances = 1\nrapid_fails_per_minute = 2")
        with open(server.config) as f:
            text = f.read()
        with open(server.config, "w") as f:  # php-cgi that exits at once
            f.write(text.replace('[[pools]]\nname = "main"\n', '[[pools]]\nname = "main"\nphp_cgi = "/bin/false"\n', 1))
        write(os.path.join(server.www, "x.php"), "<?php echo 1;")
        try:
            server.start_with(())
            self.assertEqual(ready(server.admin_port), (200, "ready\n"))  # no worker asked for yet
            statuses = []
            for _ in range(6):
                statuses.append(server.get("/x.php")[0])
                if statuses[-1] == 503:
                    break
            self.assertEqual(statuses[-1], 503, statuses)
            status, body = ready(server.admin_port)
            self.assertEqual(status, 503, body)
            self.assertRegex(body, r"^pool main \(as [a-z0-9_-]+\): offline, rapid-fail protection \(\d+ worker "
                                   r"failures in the last minute\); it answers 503\n$")
        finally:
            code = server.stop()
            out = server.output()
            server.close()
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()

"""IIS FastCGI settings through the PHP handler, with real php-cgi workers:
queue_length (503), instance_max_requests (recycling), request_timeout (500),
a worker killed mid-request (502, nothing else affected), rapid-fail
protection (offline 503, then recovery), and no zombies afterwards."""
import os
import signal
import threading
import time
import unittest

from ghtest import write
from test_php import PhpServer

SCRIPTS = {
    "pid.php": "<?php echo getmypid();",
    "sleep.php": "<?php usleep((int)($_GET['ms'] ?? 300) * 1000); echo 'slept ', getmypid();",
    "slowpid.php": "<?php file_put_contents(__DIR__ . '/run/slow.pid', getmypid()); sleep(5); echo 'done';",
    "crash.php": "<?php posix_kill(getmypid(), 9); echo 'unreachable';",
}


def start(fastcgi):
    server = PhpServer(fastcgi=fastcgi)
    for rel, data in SCRIPTS.items():
        write(os.path.join(server.www, rel), data)
    server.start()
    os.chmod(os.path.join(server.www), 0o755)
    os.makedirs(os.path.join(server.www, "run"), exist_ok=True)
    os.chmod(os.path.join(server.www, "run"), 0o777)
    return server


def in_thread(fn, results, key):
    def run():
        try:
            results[key] = fn()
        except Exception as e:  # noqa: BLE001 - recorded, asserted by the test
            results[key] = repr(e)
    t = threading.Thread(target=run)
    t.start()
    return t


class PoolLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start("max_instances = 1\nqueue_length = 1\ninstance_max_requests = 3\nrequest_timeout = \"2s\"")

    @classmethod
    def tearDownClass(cls):
        zombies = {p: s for p, s in cls.server.children().items() if s == "Z"}
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"
        assert not zombies, f"zombie children: {zombies}"

    def test_full_queue_answers_503(self):
        results = {}
        busy = in_thread(lambda: self.server.get("/sleep.php?ms=1500")[0], results, "busy")
        time.sleep(0.4)  # the only worker is now busy
        queued = in_thread(lambda: self.server.get("/sleep.php?ms=10")[0], results, "queued")
        time.sleep(0.3)  # and the one queue slot taken
        status, _, _ = self.server.get("/pid.php")
        busy.join(10)
        queued.join(10)
        self.assertEqual(status, 503)
        self.assertEqual(results, {"busy": 200, "queued": 200})

    def test_worker_recycles_after_instance_max_requests(self):
        pids = [int(self.server.get("/pid.php")[2]) for _ in range(7)]
        runs, last = [], None
        for p in pids:
            if p == last:
                runs[-1] += 1
            else:
                runs.append(1)
            last = p
        self.assertTrue(all(r <= 3 for r in runs), pids)
        self.assertGreaterEqual(len(set(pids)), 2, pids)

    def test_request_timeout_gives_500_and_the_next_request_succeeds(self):
        t0 = time.monotonic()
        status, _, _ = self.server.get("/sleep.php?ms=6000")
        took = time.monotonic() - t0
        self.assertEqual(status, 500)
        self.assertLess(took, 4.5)
        self.assertEqual(self.server.get("/pid.php")[0], 200)


class WorkerFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start("max_instances = 2\nrapid_fails_per_minute = 3")

    @classmethod
    def tearDownClass(cls):
        zombies = {p: s for p, s in cls.server.children().items() if s == "Z"}
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"
        assert not zombies, f"zombie children: {zombies}"

    def test_a_kill_9_mid_request_costs_only_that_request(self):
        pidfile = os.path.join(self.server.www, "run", "slow.pid")
        results = {}
        slow = in_thread(lambda: self.server.get("/slowpid.php")[0], results, "slow")
        deadline = time.monotonic() + 10
        while not os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(pidfile) as f:
            pid = int(f.read())
        others = [in_thread(lambda: self.server.get("/sleep.php?ms=200")[0], results, i) for i in range(3)]
        os.kill(pid, signal.SIGKILL)
        slow.join(10)
        for t in others:
            t.join(10)
        self.assertEqual(results.pop("slow"), 502)
        self.assertEqual(results, {0: 200, 1: 200, 2: 200})
        self.assertEqual(self.server.get("/pid.php")[0], 200)

    def test_b_repeated_crashes_take_the_pool_offline_then_it_recovers(self):
        # Each crash costs its request (502) until the failures in the last
        # minute reach rapid_fails_per_minute (the kill above counts too).
        statuses = []
        for _ in range(5):
            statuses.append(self.server.get("/crash.php")[0])
            if statuses[-1] == 503:
                break
        self.assertEqual(statuses[-1], 503, statuses)
        self.assertEqual(set(statuses[:-1]), {502}, statuses)
        self.assertEqual(self.server.get("/pid.php")[0], 503)
        # The pool stays offline for its cool-down (30 s), then serves again.
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            status = self.server.get("/pid.php")[0]
            if status == 200:
                break
            self.assertEqual(status, 503)
            time.sleep(1)
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()

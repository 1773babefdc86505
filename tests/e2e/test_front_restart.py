"""Issue 9: when the front dies, the supervisor restarts it; requests in
flight are lost, the php-cgi workers are kept.

The front (gh-front) is killed with SIGKILL while the server serves. The
supervisor starts a new one, which takes over the running php-cgi parent:
the same parent pid serves the next requests, and its APCu (shared by its
children) still holds the counter the old front's requests raised.
"""
import json
import os
import signal
import time
import unittest

from ghtest import write
from test_identity import require_root
from test_php import PhpServer

COUNTER = "<?php $ok = false; echo json_encode(['v' => apcu_inc('gh-front-restart', 1, $ok, 600), " \
          "'ppid' => posix_getppid()]);"


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class FrontRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.server = PhpServer(fastcgi="max_instances = 2")
        write(os.path.join(cls.server.www, "count.php"), COUNTER)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_cleanly()

    def count(self):
        status, _, body = self.server.get("/count.php")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def fronts(self):
        return [pid for pid in self.server.children() if comm(pid) == "gh-front"]

    def test_workers_and_their_apcu_survive_a_killed_front(self):
        first = [self.count() for _ in range(5)]
        self.assertEqual([d["v"] for d in first], [1, 2, 3, 4, 5])
        parent = first[-1]["ppid"]
        self.assertEqual(comm(parent), "php-cgi")
        (front,) = self.fronts()

        os.kill(front, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = self.fronts()
            if now and now != [front]:
                break
            time.sleep(0.05)
        (new_front,) = self.fronts()
        self.assertNotEqual(new_front, front)
        after = None
        while time.monotonic() < deadline:
            try:
                after = self.count()
                break
            except (OSError, AssertionError):
                time.sleep(0.1)
        self.assertIsNotNone(after, "the new front does not serve")
        self.assertEqual(after["ppid"], parent, "a new php-cgi parent was started: the worker was not kept")
        self.assertEqual(after["v"], 6, "APCu lost its value: the workers were not kept")
        self.assertEqual([p for p in self.server.children() if comm(p) == "php-cgi"], [parent])
        log = self.server.output()
        self.assertIn("its 1 php-cgi worker(s) are kept for the next one", log)
        self.assertRegex(log, rf"took over php-cgi parent pid {parent} from the previous front")


if __name__ == "__main__":
    unittest.main()

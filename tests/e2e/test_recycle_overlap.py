"""Issue 15: recycling overlaps and a cold pool answers at once.

- instance_max_requests = 5, sequential requests: every child serves at most
  5, all are children of one php-cgi parent that is never restarted (no
  php-cgi start), the log says each replacement was forked ahead, and no
  request takes as long as a php-cgi start;
- a change to monitor_changes_to starts a new parent while the old one keeps
  serving: no failed or slow request, then the new php.ini is in force;
- after start and after an idle shutdown, the first request is served by a
  child that existed before the request was sent (prestarted, warm parent).
"""
import json
import os
import re
import subprocess
import time
import unittest

from ghtest import write
from test_php import PhpServer

WHO = "<?php echo json_encode(['pid' => getmypid(), 'ppid' => posix_getppid(), 'mem' => ini_get('memory_limit')]);"
HELLO = "<?php echo 'hello';"


def cold_start_seconds(www):
    """What one php-cgi start costs on this machine now: exec, extensions,
    OPcache and APCu set-up, one hello, exit. Best of three."""
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        subprocess.run(["php-cgi", "-q", os.path.join(www, "hello.php")], stdout=subprocess.DEVNULL, check=True)
        took = time.monotonic() - t0
        best = took if best is None else min(best, took)
    return best


def php_children(server):
    """The php-cgi processes gatehouse itself started (the set's parents)."""
    out = []
    for pid, _ in server.children().items():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "php-cgi":
                    out.append(pid)
        except OSError:
            pass
    return sorted(out)


def forked_children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def wait_children(parent, n, timeout=10):
    """Until the php-cgi parent has forked its n children, then a clock tick more."""
    deadline = time.monotonic() + timeout
    while len(forked_children(parent)) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # starttime counts 10 ms ticks: the next request is sent a tick later
    return forked_children(parent)


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


CHILDREN = 3  # max_instances = 2, plus the spare


class Overlap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = PhpServer(fastcgi='max_instances = 2\ninstance_max_requests = 5\nidle_timeout = "1s"',
                               php_ini="memory_limit = 64M\n")
        write(os.path.join(cls.server.www, "who.php"), WHO)
        write(os.path.join(cls.server.www, "hello.php"), HELLO)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_cleanly()

    def who(self):
        t0 = time.monotonic()
        status, _, body = self.server.get("/who.php")
        took = time.monotonic() - t0
        self.assertEqual(status, 200, body)
        return json.loads(body), took

    def test_1_first_request_after_start_finds_a_prestarted_instance(self):
        deadline = time.monotonic() + 10
        while not php_children(self.server) and time.monotonic() < deadline:
            time.sleep(0.02)
        (parent,) = php_children(self.server)
        self.assertEqual(len(wait_children(parent, CHILDREN)), CHILDREN)  # php-cgi up, before any request
        sent_at = start_time_now()
        doc, took = self.who()
        self.assertEqual(doc["ppid"], parent)
        self.assertLess(start_time(doc["pid"]), sent_at, "the child was started for the request")
        print(f"\nfirst request after start: {took * 1000:.1f} ms to the whole answer")

    def test_2_instance_recycling_never_pays_a_php_cgi_start(self):
        parents_before = php_children(self.server)
        cold = cold_start_seconds(self.server.www)
        docs, took = [], []
        for _ in range(30):
            d, t = self.who()
            docs.append(d)
            took.append(t)
        runs, last = [], None
        for d in docs:
            if d["pid"] == last:
                runs[-1] += 1
            else:
                runs.append(1)
            last = d["pid"]
        self.assertTrue(all(r <= 5 for r in runs), runs)
        self.assertGreaterEqual(len({d["pid"] for d in docs}), 6, docs)
        # One parent throughout: every replacement was a fork of the warm parent.
        self.assertEqual({d["ppid"] for d in docs}, set(parents_before))
        self.assertEqual(php_children(self.server), parents_before)
        log = self.server.output()
        ahead = re.findall(r"recycled php-cgi child pid (\d+): pid (\d+), forked ahead by parent pid (\d+)", log)
        self.assertGreaterEqual(len(ahead), 5, log[-3000:])
        self.assertEqual({int(p) for _, _, p in ahead}, set(parents_before))
        # The replacement existed before the request that follows a recycle.
        cold = max(cold, cold_start_seconds(self.server.www))  # the load may have changed meanwhile
        after_recycle = [took[i] for i in range(5, 30, 5)]
        after_recycle.sort()
        print(f"\nphp-cgi cold start here: {cold * 1000:.1f} ms; requests after a recycle: "
              f"{', '.join(f'{t * 1000:.1f}' for t in after_recycle)} ms; all: median "
              f"{sorted(took)[len(took) // 2] * 1000:.1f}, max {max(took) * 1000:.1f} ms")
        self.assertLess(after_recycle[len(after_recycle) // 2], cold, "requests after a recycle wait for a start")

    def test_3_php_ini_change_overlaps_parents(self):
        (old_parent,) = php_children(self.server)
        write(self.server.ini, "memory_limit = 96M\n")
        sent, docs, took = [], [], []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            sent.append(start_time_now())
            d, t = self.who()
            docs.append(d)
            took.append(t)
            if d["mem"] == "96M" and len(docs) >= 5:
                break
        self.assertEqual(docs[-1]["mem"], "96M", docs[-3:])
        new_parent = docs[-1]["ppid"]
        self.assertNotEqual(new_parent, old_parent)
        # While the new parent started, the old one kept answering: requests
        # sent after the new parent existed (a clock tick later, to be sure)
        # and served by the old one. Without the overlap there are none: the
        # first request after the change waits for the new php-cgi.
        born = start_time(new_parent)
        overlap = [d for d, at in zip(docs, sent) if at > born and d["ppid"] == old_parent]
        print(f"\nphp.ini change: {len(docs)} requests, {len(overlap)} answered by the old parent while the new "
              f"one started; max {max(took) * 1000:.1f} ms")
        self.assertGreaterEqual(len(overlap), 2, f"{len(docs)} requests, none overlapped the start: born {born} "
                                f"{list(zip(sent, [(d['ppid'], d['mem'], d['pid']) for d in docs], took))}")
        self.assertTrue(all(d["mem"] == "96M" for d in docs if d["ppid"] == new_parent))
        deadline = time.monotonic() + 10
        while old_parent in php_children(self.server) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertNotIn(old_parent, php_children(self.server), "the old parent outlived its instances")

    def test_4_after_idle_shutdown_the_next_request_needs_no_start(self):
        doc, _ = self.who()
        served_by = doc["pid"]
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{served_by}") and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(f"/proc/{served_by}"), "idle_timeout did not stop the instance")
        (parent,) = php_children(self.server)
        self.assertEqual(len(wait_children(parent, CHILDREN)), CHILDREN)  # it replaced the stopped child
        sent_at = start_time_now()
        doc, took = self.who()
        self.assertEqual(doc["ppid"], parent, "the warm parent stays through an idle shutdown")
        self.assertLess(start_time(doc["pid"]), sent_at, "the child was started for the request")
        print(f"\nfirst request after idle shutdown: {took * 1000:.1f} ms to the whole answer")


def start_time_now():
    """Now, in the clock of /proc/<pid>/stat's starttime (clock ticks since boot)."""
    with open("/proc/uptime") as f:
        return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


if __name__ == "__main__":
    unittest.main()

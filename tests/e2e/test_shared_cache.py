"""Issue 15: the instances of one (pool, identity) share APCu (and OPcache):
N parallel apcu_inc() on one key, served by several php-cgi instances, count
to exactly N; and a second pool, running as another account, never sees the
first one's key. What MediaWiki's APCu sessions need with 4 workers."""
import json
import os
import secrets
import threading
import time
import unittest

from ghtest import free_port, write
from test_identity import delete_account, require_root
from test_php import PhpServer

# Slow enough (40 ms) that parallel requests hold several instances at once.
COUNTER = r"""<?php
$k = 'gh-hits-' . preg_replace('/[^a-z0-9]/', '', $_GET['k'] ?? '');
usleep((int)($_GET['ms'] ?? 0) * 1000);
$ok = false;
$v = isset($_GET['peek']) ? apcu_fetch($k) : apcu_inc($k, 1, $ok, 600);
$oc = opcache_get_status(false)['opcache_statistics'] ?? [];
echo json_encode(['v' => $v, 'pid' => getmypid(), 'ppid' => posix_getppid(), 'uid' => posix_getuid(),
                  'cached' => $oc['num_cached_scripts'] ?? -1, 'misses' => $oc['misses'] ?? -1]);
"""

N = 40
THREADS = 8


class SharedApcu(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.other_pool = "apc" + secrets.token_hex(3)
        cls.other_port = free_port()
        cls.server = PhpServer(fastcgi="max_instances = 4", extra=f"""
[[pools]]
name = "{cls.other_pool}"

[pools.fastcgi]
max_instances = 4

[[sites]]
name = "other"
bindings = ["http://127.0.0.1:{cls.other_port}:*"]
app_root = "{{WWW2}}"
physical_path = "{{WWW2}}"
pool = "{cls.other_pool}"
""")
        www2 = os.path.join(cls.server.root, "www2")  # each pool its own folder
        with open(cls.server.config) as f:
            text = f.read().replace("{WWW2}", www2)
        with open(cls.server.config, "w") as f:
            f.write(text)
        for www in (cls.server.www, www2):
            page = os.path.join(www, "count.php")
            write(page, COUNTER)
            # OPcache skips files changed in the last 2 s (opcache.file_update_protection)
            old = time.time() - 60
            os.utime(page, (old, old))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            out = cls.server.output()
            cls.server.close()
            assert code == 0, f"gatehouse exited with {code}: {out}"
        finally:
            delete_account("gh-pool-" + cls.other_pool)

    def get_json(self, target, port=None):
        if port is None:
            status, _, body = self.server.get(target)
        else:
            saved = self.server.port
            self.server.port = port
            try:
                status, _, body = self.server.get(target)
            finally:
                self.server.port = saved
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_parallel_increments_on_four_instances_count_to_n(self):
        key = secrets.token_hex(4)
        results, lock = [], threading.Lock()

        def worker(n):
            for _ in range(n):
                doc = self.get_json(f"/count.php?k={key}&ms=40")
                with lock:
                    results.append(doc)

        threads = [threading.Thread(target=worker, args=(N // THREADS,)) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), N, results)
        # Every increment saw every earlier one: 1..N, each once.
        self.assertEqual(sorted(r["v"] for r in results), list(range(1, N + 1)))
        pids = {r["pid"] for r in results}
        self.assertGreaterEqual(len(pids), 2, f"one instance served everything: {pids}")
        self.assertLessEqual(len(pids), 4, pids)
        # All of them children of one php-cgi parent: the owner of the shared memory.
        self.assertEqual(len({r["ppid"] for r in results}), 1, results)
        self.assertEqual(self.get_json(f"/count.php?k={key}&peek=1")["v"], N)
        # OPcache is shared too: count.php was compiled once (one miss) for
        # all the children; separate caches would miss once per child.
        self.assertTrue(all(r["cached"] >= 1 for r in results), results)
        self.assertEqual(max(r["misses"] for r in results), 1, results)

    def test_another_identity_never_sees_the_key(self):
        key = secrets.token_hex(4)
        mine = self.get_json(f"/count.php?k={key}")
        self.assertEqual(mine["v"], 1)
        theirs = self.get_json(f"/count.php?k={key}&peek=1", port=self.other_port)
        self.assertNotEqual(theirs["uid"], mine["uid"], "the two pools must run as two accounts")
        self.assertNotEqual(theirs["ppid"], mine["ppid"])
        self.assertIs(theirs["v"], False, "the other pool's APCu holds our key")
        # And its own counter of the same name starts from scratch, leaving ours alone.
        self.assertEqual(self.get_json(f"/count.php?k={key}", port=self.other_port)["v"], 1)
        self.assertEqual(self.get_json(f"/count.php?k={key}&peek=1")["v"], 1)


if __name__ == "__main__":
    unittest.main()

"""Issue 12: the memory recycle (IIS privateMemory) is graceful.

A pool with `[pools.limits] instance_memory = "32M"`: a script that holds
64 MiB for two seconds is not cut short (200, its whole answer), its php-cgi
child is recycled once the request ended, by a child forked ahead from the
warm parent (the log says both), and no later request reaches the old child.
Other requests are served meanwhile, none fails.
"""
import os
import re
import threading
import time
import unittest

from ghtest import write
from test_php import PhpServer

BIG = "<?php $s = str_repeat('x', 64 << 20); usleep(2500000); echo getmypid(), ' ', strlen($s);"
WHO = "<?php echo getmypid();"


class MemoryRecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = PhpServer(fastcgi="max_instances = 2", php_ini="memory_limit = 256M\n",
                               pool_limits='instance_memory = "32M"')
        write(os.path.join(cls.server.www, "big.php"), BIG)
        write(os.path.join(cls.server.www, "who.php"), WHO)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_cleanly()

    def test_a_child_past_instance_memory_finishes_its_request_then_goes(self):
        result = {}

        def big():
            result["answer"] = self.server.get("/big.php")

        t = threading.Thread(target=big)
        t.start()
        others = []
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:  # the other instance keeps serving meanwhile
            status, _, body = self.server.get("/who.php")
            others.append(status)
            time.sleep(0.1)
        t.join(20)
        self.assertFalse(t.is_alive(), "the big request did not end")
        status, _, body = result["answer"]
        self.assertEqual(status, 200, body)
        pid, size = body.decode().split()
        self.assertEqual(size, str(64 << 20), "the request was cut short")
        self.assertTrue(others and all(s == 200 for s in others), others)

        log = self.server.output()
        self.assertRegex(log, rf"php-cgi child pid {pid} has \d+ MiB of private memory \(instance_memory 32 MiB\): "
                              r"recycling it after its request")
        deadline = time.monotonic() + 5
        while not re.search(rf"recycled php-cgi child pid {pid}: pid \d+, forked ahead", log) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
            log = self.server.output()
        self.assertRegex(log, rf"recycled php-cgi child pid {pid}: pid \d+, forked ahead by parent pid \d+")
        served_by = set()
        for _ in range(10):
            status, _, body = self.server.get("/who.php")
            self.assertEqual(status, 200, body)
            served_by.add(body.decode())
        self.assertNotIn(pid, served_by)
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "the recycled child is still running")


if __name__ == "__main__":
    unittest.main()

"""`gatehouse perms explain` says when a PHP worker's Landlock sandbox, not the
ACL, decides (issue 10): a world-readable file outside the pool's plan is
readable by the pool account by its mode, but the worker's sandbox refuses it."""
import os
import shutil
import subprocess
import tempfile
import unittest

from ghtest import BIN, Server, write


class ExplainSandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("needs root (accounts, ACLs)")
        cls.server = Server()
        write(os.path.join(cls.server.www, "index.html"), "hi")
        r = subprocess.run([BIN, "perms", "apply", "--config", cls.server.config], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        # Outside /tmp: PHP's default upload and session folders are there, so the sandbox grants /tmp.
        cls.outside_dir = tempfile.mkdtemp(prefix="gh-explain-", dir="/srv" if os.path.isdir("/srv") else "/var")
        os.chmod(cls.outside_dir, 0o755)
        cls.outside = os.path.join(cls.outside_dir, "open.txt")
        write(cls.outside, "world-readable", 0o644)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.outside_dir)
        cls.server.tmp.cleanup()

    def explain(self, path):
        r = subprocess.run([BIN, "perms", "explain", "--config", self.server.config, path, "--op", "read"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return [line for line in r.stdout.splitlines() if line.startswith("gh-pool-main")]

    def test_landlock_decides_outside_the_plan(self):
        rows = self.explain(self.outside)
        self.assertTrue(rows, "no row for the pool account")
        self.assertIn("Landlock REFUSES", rows[0])
        self.assertIn("the ACL alone would allow", rows[0])

    def test_landlock_allows_the_pools_own_tree(self):
        rows = self.explain(os.path.join(self.server.www, "index.html"))
        self.assertTrue(rows)
        self.assertIn("Landlock allows", rows[0])
        self.assertNotIn("REFUSES", rows[0])


if __name__ == "__main__":
    unittest.main()

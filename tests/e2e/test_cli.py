"""`gatehouse check` and `version` as a user runs them: exit codes, the
summary, the identity table, and errors that name file:line:column and the key."""
import os
import subprocess
import unittest

from ghtest import BIN, Server


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def edit(path, *replacements):
    with open(path) as f:
        text = f.read()
    for old, new in replacements:
        text = text.replace(old, new, 1)
    with open(path, "w") as f:
        f.write(text)


class Check(unittest.TestCase):
    def setUp(self):
        self.server = Server(extra='[pools.fastcgi]\nmax_instances = 3\n')
        self.addCleanup(self.server.tmp.cleanup)

    def test_valid_configuration_prints_summary_and_identities(self):
        code, out, err = run("check", "--config", self.server.config)
        self.assertEqual(code, 0, err)
        self.assertIn("configuration OK", out)
        self.assertIn("max_instances 3", out)
        self.assertIn("instance_max_requests 200", out)  # IIS default filled in
        self.assertIn("static files read as gh-iusr, PHP runs as gh-pool-main", out)

    def test_bad_value_names_file_line_column_and_key(self):
        with open(self.server.config, "a") as f:
            f.write('\n[server.limits]\n')  # duplicate table: a TOML syntax error
        code, out, err = run("check", "--config", self.server.config)
        self.assertEqual(code, 1)
        self.assertRegex(err, r"gatehouse\.toml:\d+:\d+:")
        self.assertNotIn("configuration OK", out)

    def test_unknown_key_and_wrong_type_are_both_reported(self):
        edit(self.server.config, ('name = "main"\n\n[[sites]]', 'name = "main"\ncolour = "red"\n\n[[sites]]'),
             ("max_instances = 3", 'max_instances = "three"'))
        code, _, err = run("check", "--config", self.server.config)
        self.assertEqual(code, 1)
        lines = err.strip().splitlines()
        self.assertTrue(any("colour" in l and "unknown key" in l for l in lines), err)
        self.assertTrue(any("pools[0].fastcgi.max_instances" in l for l in lines), err)
        for l in lines:
            self.assertRegex(l, r"^\S+gatehouse\.toml:\d+:\d+: ", l)

    def test_missing_pool_reference(self):
        edit(self.server.config, ('pool = "main"', 'pool = "nope"'))
        code, _, err = run("check", "--config", self.server.config)
        self.assertEqual(code, 1)
        self.assertIn("nope", err)

    def test_missing_file(self):
        code, _, err = run("check", "--config", os.path.join(self.server.root, "absent.toml"))
        self.assertEqual(code, 1)
        self.assertIn("absent.toml", err)


class Version(unittest.TestCase):
    def test_version(self):
        code, out, _ = run("version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^gatehouse \d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main()

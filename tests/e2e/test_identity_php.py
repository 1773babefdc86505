"""The seed's experiment through real php-cgi workers: the web root grants the
anonymous account read (no write) and the pool identity read and write; a
PHP page writes a file. fastcgi.impersonate = 0: written, owned by the pool
account; = 1: "Permission denied"; user = "pool" with impersonation: written."""
import os
import pwd
import secrets
import unittest

from test_identity import IdentityServer, require_root, setfacl
from test_auth import basic, create_user
from ghtest import write

WRITER = """<?php
$f = __DIR__ . '/out-' . preg_replace('/[^a-z0-9]/', '', $_GET['n']) . '.txt';
if (@file_put_contents($f, 'x') === false) {
    $e = error_get_last();
    echo 'FAIL ', $e['message'];
} else {
    echo 'OK';
}
"""


class SeedExperiment(unittest.TestCase):
    def run_case(self, impersonate, user="IUSR", basic_user=None):
        require_root(self)
        site = f'[sites.authentication.anonymous]\nuser = "{"pool" if user == "pool" else "IUSR"}"\n'
        if basic_user:
            site = '[sites.authentication.anonymous]\nenabled = false\n[sites.authentication.basic]\nenabled = true\n'
        s = IdentityServer(site=site, pool=f'php_ini = "{{ROOT}}/php.ini"\n')
        try:
            with open(s.config) as f:
                text = f.read().replace("{ROOT}", s.root)
            with open(s.config, "w") as f:
                f.write(text)
            write(os.path.join(s.root, "php.ini"), f"fastcgi.impersonate = {impersonate}\n", 0o644)
            write(os.path.join(s.www, "write.php"), WRITER, 0o600)
            headers = {}
            if basic_user:
                password = secrets.token_hex(8)
                s.users.append(basic_user)
                create_user(basic_user, password)
                headers = basic(basic_user, password)
            s.start()
            s.let_in(s.anonymous, s.pool_account, *([basic_user] if basic_user else []))
            setfacl(s.www, f"u:{s.pool_account}:rwx")  # the pool writes; the anonymous account only reads
            readers = [f"u:{s.anonymous}:r", f"u:{s.pool_account}:r"]
            if basic_user:
                setfacl(s.www, f"u:{basic_user}:rwx")
                readers.append(f"u:{basic_user}:r")
            setfacl(os.path.join(s.www, "write.php"), *readers)
            r = s.request(f"/write.php?n=t{impersonate}", headers=headers)
            out = os.path.join(s.www, f"out-t{impersonate}.txt")
            owner = pwd.getpwuid(os.stat(out).st_uid).pw_name if os.path.exists(out) else None
            return r, owner, s.pool_account, s.output()
        finally:
            s.close()

    def test_impersonate_0_writes_as_the_pool(self):
        r, owner, pool_account, log = self.run_case(0)
        self.assertEqual(r.status, 200, log)
        self.assertEqual(r.body, b"OK", log)
        self.assertEqual(owner, pool_account)

    def test_impersonate_1_runs_as_the_anonymous_account_and_is_denied(self):
        r, owner, _, log = self.run_case(1)
        self.assertEqual(r.status, 200, log)
        self.assertTrue(r.body.startswith(b"FAIL"), r.body)
        self.assertIn(b"Permission denied", r.body)
        self.assertIsNone(owner)

    def test_user_pool_with_impersonation_writes_as_the_pool(self):
        r, owner, pool_account, log = self.run_case(1, user="pool")
        self.assertEqual(r.status, 200, log)
        self.assertEqual(r.body, b"OK", log)
        self.assertEqual(owner, pool_account)

    def test_basic_user_with_impersonation_writes_as_the_user(self):
        user = "gh-tu-" + secrets.token_hex(3)
        r, owner, _, log = self.run_case(1, basic_user=user)
        self.assertEqual(r.status, 200, log)
        self.assertEqual(r.body, b"OK", log)
        self.assertEqual(owner, user)


if __name__ == "__main__":
    unittest.main()

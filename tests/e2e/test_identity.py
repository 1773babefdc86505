"""Static files are opened as the request identity and the kernel decides:
real accounts (created by `serve` as root), real ACLs set with setfacl.
A file only the pool identity may read is denied (401.3) to the anonymous
account and served when the site says user = "pool"."""
import os
import secrets
import subprocess
import time
import unittest

from ghtest import Server, write

IN_CI = os.environ.get("CI") == "true"


def require_root(test):
    if os.geteuid() != 0:
        if IN_CI:
            raise AssertionError("identity tests need root, and CI=true forbids skipping")
        raise unittest.SkipTest("identity tests need root")


def setfacl(path, *entries):
    subprocess.run(["setfacl", "-m", ",".join(entries), path], check=True)


def delete_account(name):
    subprocess.run(["userdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["groupdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class IdentityServer(Server):
    """A Server whose pool and anonymous account have names of their own, so
    parallel runs never share accounts; both are deleted by close(). The
    temporary folder is 0700: only ACL entries let an account in."""

    def __init__(self, site="", extra="", pool="", **kw):
        tag = secrets.token_hex(3)
        self.pool_name = "idt" + tag
        self.pool_account = "gh-pool-" + self.pool_name
        self.anonymous = "gh-anon-" + tag
        self.users = []  # further accounts to delete at close
        super().__init__(site=site, extra=extra + f'\n[accounts]\nanonymous = "{self.anonymous}"\n', **kw)
        with open(self.config) as f:
            text = f.read()
        text = text.replace('[[pools]]\nname = "main"', f'[[pools]]\nname = "{self.pool_name}"\n{pool}')
        text = text.replace('pool = "main"', f'pool = "{self.pool_name}"')
        with open(self.config, "w") as f:
            f.write(text)
        os.chmod(self.root, 0o700)
        os.chmod(self.www, 0o700)

    def let_in(self, *accounts):
        """Traverse on the temporary folder, read and list on the web root."""
        setfacl(self.root, *[f"u:{a}:x" for a in accounts])
        setfacl(self.www, *[f"u:{a}:rx" for a in accounts])

    def private_file(self, rel, data, readers):
        """A file of mode 0600 (root) that only `readers` may read, through ACL entries."""
        path = os.path.join(self.www, rel)
        write(path, data, 0o600)
        if readers:
            setfacl(path, *[f"u:{a}:r" for a in readers])
        return path

    def wait_log(self, needle, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [l for l in self.access_log_lines() if needle in l]
            if hits:
                return hits
            time.sleep(0.1)
        raise AssertionError(f"no access log line with {needle!r}: {self.access_log_lines()}")

    def close(self):
        try:
            super().close()
        finally:
            for name in [self.pool_account, self.anonymous] + self.users:
                delete_account(name)


def log_fields(line):
    # date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip
    # cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
    f = line.split(" ")
    return {"stem": f[4], "user": f[7], "status": f[11], "substatus": f[12], "win32": f[13]}


class IdentityServerTest(unittest.TestCase):
    """One IdentityServer per class, as root: `site_config()` gives its site lines,
    `prepare(server)` starts it and lays out files; stopped with exit code 0 asserted."""

    @classmethod
    def site_config(cls):
        return ""

    @classmethod
    def prepare(cls, s):
        s.start()  # creates gh-pool-<name> and the anonymous account
        s.let_in(s.anonymous, s.pool_account)
        s.private_file("anon.txt", "for visitors", [s.anonymous])
        s.private_file("pool.txt", "pool secret", [s.pool_account])

    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.server = IdentityServer(site=cls.site_config())
        try:
            cls.prepare(cls.server)
        except BaseException:
            cls.server.close()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"


class AnonymousIsIusr(IdentityServerTest):
    """user = "IUSR" (the default): static files are read as the anonymous account."""

    @classmethod
    def prepare(cls, s):
        super().prepare(s)
        s.private_file("root.txt", "root only", [])

    def test_serve_created_the_accounts(self):
        for name in (self.server.pool_account, self.server.anonymous):
            r = subprocess.run(["id", "-u", name], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"{name} was not created: {self.server.output()}")
            self.assertNotEqual(r.stdout.strip(), "0")

    def test_file_the_anonymous_account_may_read_is_served(self):
        r = self.server.request("/anon.txt")
        self.assertEqual(r.status, 200, self.server.output())
        self.assertEqual(r.body, b"for visitors")

    def test_file_only_the_pool_may_read_is_401_3(self):
        r = self.server.request("/pool.txt")
        self.assertEqual(r.status, 401)
        self.assertIn(b"401.3", r.body)
        self.assertNotIn(b"pool secret", r.body)
        fields = log_fields(self.server.wait_log("/pool.txt")[-1])
        # sc-win32-status 5 is ERROR_ACCESS_DENIED, as IIS logs it (not errno 13)
        self.assertEqual((fields["status"], fields["substatus"], fields["win32"]), ("401", "3", "5"))

    def test_file_nobody_was_granted_is_401_3(self):
        self.assertEqual(self.server.request("/root.txt").status, 401)

    def test_ancestor_without_traverse_denies(self):
        # The root folder was opened by the server as root: the identity's
        # right to walk to it must still be checked.
        s = self.server
        subprocess.run(["setfacl", "-x", f"u:{s.anonymous}", s.root], check=True)
        try:
            time.sleep(0.3)  # past the small-file cache's tick
            r = s.request("/anon.txt")
            self.assertEqual(r.status, 401)
            self.assertIn(b"401.3", r.body)
        finally:
            setfacl(s.root, f"u:{s.anonymous}:x")
        time.sleep(0.3)
        self.assertEqual(s.request("/anon.txt").status, 200)


class AnonymousIsPool(IdentityServerTest):
    """user = "pool": static files are read as the pool identity."""

    @classmethod
    def site_config(cls):
        return '[sites.authentication.anonymous]\nuser = "pool"\n'

    def test_file_only_the_pool_may_read_is_served(self):
        r = self.server.request("/pool.txt")
        self.assertEqual(r.status, 200, self.server.output())
        self.assertEqual(r.body, b"pool secret")

    def test_file_only_the_anonymous_account_may_read_is_denied(self):
        r = self.server.request("/anon.txt")
        self.assertEqual(r.status, 401)
        self.assertIn(b"401.3", r.body)


class NotRoot(unittest.TestCase):
    """Without root, a configuration with identities is refused unless
    --single-user is given, which says loudly that nothing is isolated."""

    def run_as_nobody(self, *args):
        server = Server()
        try:
            os.chmod(server.root, 0o777)
            for d in (server.www, server.log_dir):
                os.makedirs(d, exist_ok=True)
                os.chmod(d, 0o777)
            write(os.path.join(server.www, "a.txt"), "hello", 0o644)
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", server_bin(), "serve",
                   "--config", server.config, *args]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                out, _ = proc.communicate(timeout=3)
                return proc.returncode, out.decode(errors="replace"), None
            except subprocess.TimeoutExpired:
                r = server.request("/a.txt")
                proc.terminate()
                out, _ = proc.communicate(timeout=30)
                return proc.returncode, out.decode(errors="replace"), r
        finally:
            server.stderr = open(os.devnull, "wb")
            server.close()

    def setUp(self):
        require_root(self)

    def test_refused_without_single_user(self):
        code, out, _ = self.run_as_nobody()
        self.assertEqual(code, 1, out)
        self.assertIn("needs root", out)
        self.assertIn("--single-user", out)

    def test_single_user_serves_and_warns(self):
        code, out, response = self.run_as_nobody("--single-user")
        self.assertIsNotNone(response, out)
        self.assertEqual(response.status, 200, out)
        self.assertEqual(response.body, b"hello")
        self.assertIn("SINGLE-USER MODE", out)
        self.assertIn("NOT isolated", out)
        self.assertEqual(code, 0, out)


def server_bin():
    from ghtest import BIN
    return BIN


if __name__ == "__main__":
    unittest.main()

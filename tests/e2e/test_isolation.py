"""Two sites in two pools (ApplicationPoolIdentity each), folders and
permissions set by `gatehouse perms apply`, a session.save_path per pool:
PHP of site A cannot read B's files or sessions, list B's session folder, or
connect to B's worker sockets, while it reads its own files and sessions."""
import json
import os
import pwd
import secrets
import stat
import subprocess
import unittest

from ghtest import BIN, Server, write
from test_identity import delete_account, require_root

SESSION = """<?php
session_start();
$_SESSION['secret'] = '{secret}';
echo session_id();
"""

# Every attempt reports ok, a short value and PHP's own error message.
PROBE = """<?php
header('Content-Type: application/json');
function attempt(callable $f) {
    error_clear_last();
    $r = @$f();
    $e = error_get_last();
    return ['ok' => $r !== false, 'value' => is_string($r) ? $r : (is_array($r) ? implode(',', $r) : null),
            'error' => $e ? $e['message'] : null];
}
$own = $_GET['own_sid'];
$other = $_GET['other_sid'];
echo json_encode([
    'uid' => posix_geteuid(),
    'own_file' => attempt(fn() => file_get_contents('{own}/secret.txt')),
    'own_session' => attempt(fn() => file_get_contents('{own}/sessions/sess_' . $own)),
    'own_session_dir' => attempt(fn() => scandir('{own}/sessions')),
    'other_file' => attempt(fn() => file_get_contents('{other}/secret.txt')),
    'other_page' => attempt(fn() => file_get_contents('{other}/public/session.php')),
    'other_session' => attempt(fn() => file_get_contents('{other}/sessions/sess_' . $other)),
    'other_session_dir' => attempt(fn() => scandir('{other}/sessions')),
    'other_socket' => attempt(fn() => stream_socket_client('unix://' . $_GET['socket'], $no, $str, 2)),
]);
"""


class TwoPools(Server):
    """Sites a and b on one port (by Host), pools isa<tag> and isb<tag>, an
    anonymous account of their own; every account is deleted by close()."""

    def __init__(self):
        super().__init__()
        tag = secrets.token_hex(3)
        self.pools = {"a": "isa" + tag, "b": "isb" + tag}
        self.anonymous = "gh-anon-" + tag
        self.apps = {s: os.path.join(self.root, s) for s in "ab"}
        self.secrets = {s: f"secret of {s} " + secrets.token_hex(4) for s in "ab"}
        os.chmod(self.root, 0o700)  # only what the permission tool grants lets a pool in
        text = f"""
[server]
state_dir = "{self.root}/state"
log_dir = "{self.log_dir}"
threads = 2

[accounts]
anonymous = "{self.anonymous}"
"""
        for s in "ab":
            app = self.apps[s]
            os.makedirs(os.path.join(app, "public"), mode=0o700)
            os.makedirs(os.path.join(app, "sessions"), mode=0o700)
            os.chmod(app, 0o700)
            write(os.path.join(app, "php.ini"), f"session.save_path = \"{app}/sessions\"\n", 0o600)
            write(os.path.join(app, "secret.txt"), self.secrets[s], 0o600)
            write(os.path.join(app, "public", "session.php"), SESSION.replace("{secret}", self.secrets[s]), 0o600)
            text += f"""
[[pools]]
name = "{self.pools[s]}"
identity = "ApplicationPoolIdentity"
php_ini = "{app}/php.ini"

[[sites]]
name = "{s}"
bindings = ["http://127.0.0.1:{self.port}:{s}.test"]
app_root = "{app}"
physical_path = "{app}/public"
pool = "{self.pools[s]}"
"""
        probe = PROBE.replace("{own}", self.apps["a"]).replace("{other}", self.apps["b"])
        write(os.path.join(self.apps["a"], "public", "probe.php"), probe, 0o600)
        with open(self.config, "w") as f:
            f.write(text)

    def account(self, site):
        return "gh-pool-" + self.pools[site]

    def perms_apply(self):
        r = subprocess.run([BIN, "perms", "apply", "--config", self.config], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"perms apply exited with {r.returncode}: {r.stdout}{r.stderr}")
        return r.stdout

    def close(self):
        try:
            super().close()
        finally:
            for name in [self.account("a"), self.account("b"), self.anonymous]:
                delete_account(name)


class Isolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.s = s = TwoPools()
        try:
            s.start()  # creates gh-pool-isa…, gh-pool-isb… and the anonymous account
            cls.apply_output = s.perms_apply()
            cls.sid = {}
            for site in "ab":
                r = s.request("/session.php", host=f"{site}.test")
                assert r.status == 200, f"{site}: {r} {s.output()}"
                cls.sid[site] = r.body.decode()
            sockets = os.path.join(s.root, "state", "sockets")
            cls.b_sockets = sorted(os.path.join(sockets, n) for n in os.listdir(sockets)
                                   if n.startswith(s.pools["b"] + "-"))
            assert cls.b_sockets, f"no worker socket of pool b in {os.listdir(sockets)}"
            query = f"own_sid={cls.sid['a']}&other_sid={cls.sid['b']}&socket={cls.b_sockets[0]}"
            r = s.request("/probe.php?" + query, host="a.test")
            assert r.status == 200, f"probe: {r} {s.output()}"
            cls.probe = json.loads(r.body)
        except BaseException:
            s.close()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.s.stop()
        out = cls.s.output()
        cls.s.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def assert_denied(self, key):
        got = self.probe[key]
        self.assertFalse(got["ok"], f"{key}: site a got {got['value']!r}")
        self.assertIn("Permission denied", got["error"] or "", got)

    def test_php_of_a_runs_as_its_own_pool_account(self):
        self.assertEqual(self.probe["uid"], pwd.getpwnam(self.s.account("a")).pw_uid)
        self.assertNotEqual(pwd.getpwnam(self.s.account("a")).pw_uid, pwd.getpwnam(self.s.account("b")).pw_uid)

    def test_a_reads_its_own_files_and_sessions(self):
        self.assertEqual(self.probe["own_file"]["value"], self.s.secrets["a"], self.probe["own_file"])
        self.assertIn(self.s.secrets["a"], self.probe["own_session"]["value"] or "", self.probe["own_session"])
        self.assertIn("sess_" + self.sid["a"], self.probe["own_session_dir"]["value"] or "")

    def test_a_cannot_read_b_files(self):
        self.assert_denied("other_file")
        self.assert_denied("other_page")

    def test_a_cannot_read_or_list_b_sessions(self):
        session = os.path.join(self.s.apps["b"], "sessions", "sess_" + self.sid["b"])
        st = os.stat(session)  # it exists, written by b's pool: the denial is about permissions
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, self.s.account("b"))
        with open(session) as f:
            self.assertIn(self.s.secrets["b"], f.read())
        self.assert_denied("other_session")
        self.assert_denied("other_session_dir")

    def test_a_cannot_connect_to_b_worker_sockets(self):
        path = self.b_sockets[0]
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        folder = os.stat(os.path.dirname(path))
        self.assertEqual((folder.st_uid, stat.S_IMODE(folder.st_mode)), (0, 0o700))
        self.assert_denied("other_socket")

    def test_other_bits_open_nothing(self):
        # the tool grants named ACL entries; "other" never opens an application's tree
        for site in "ab":
            for rel in ("", "secret.txt", "sessions", "public"):
                mode = os.stat(os.path.join(self.s.apps[site], rel)).st_mode
                self.assertEqual(mode & 0o007, 0, f"{site}/{rel}: {oct(mode)}")


if __name__ == "__main__":
    unittest.main()

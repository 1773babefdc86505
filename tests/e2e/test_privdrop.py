"""A worker whose privilege drop cannot happen (its account was deleted under
the running pool) is reported and answered with an error: never a php-cgi
that runs as root or as the account's stale uid."""
import os
import pwd
import secrets
import subprocess
import time
import unittest

from ghtest import BIN, Server, write
from test_identity import delete_account, require_root

WHO = "<?php echo posix_geteuid(), ' ', getmypid();"


def uid_processes(uid):
    """pids of the processes whose real uid is `uid`."""
    out = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        except (OSError, StopIteration):
            continue
        if str(uid) in uids:
            out.append(int(entry))
    return out


def children(pid):
    """(pid, name, real/effective/saved/fs uids) of the processes whose parent is `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except OSError:  # gone meanwhile
            continue
        if int(fields.get("PPid", "0")) == pid:
            out.append((int(entry), fields["Name"], [int(u) for u in fields["Uid"].split()]))
    return out


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


class DeletedPoolAccount(unittest.TestCase):
    def setUp(self):
        require_root(self)
        tag = secrets.token_hex(3)
        self.account = "gh-pd-" + tag
        self.anonymous = "gh-anon-" + tag
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.account],
                       check=True)
        self.addCleanup(delete_account, self.anonymous)
        self.addCleanup(delete_account, self.account)
        self.uid = pwd.getpwnam(self.account).pw_uid
        s = Server(extra=f'\n[accounts]\nanonymous = "{self.anonymous}"\n')
        self.addCleanup(s.close)
        with open(s.config) as f:
            text = f.read()
        # one request per worker, so the next request needs a new worker (and a new drop)
        pool = f'name = "main"\nidentity = "{self.account}"\n[pools.fastcgi]\ninstance_max_requests = 1\n'
        with open(s.config, "w") as f:
            f.write(text.replace('name = "main"\n', pool, 1))
        os.chmod(s.www, 0o755)
        write(os.path.join(s.www, "who.php"), WHO, 0o644)
        self.s = s

    def php_children(self):
        return [c for c in children(self.s.proc.pid) if c[1] == "php-cgi"]

    def error_log(self):
        path = os.path.join(self.s.log_dir, "error.log")
        if not os.path.exists(path):
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def test_worker_for_a_deleted_account_is_reported_not_run(self):
        s = self.s
        s.start()
        r = s.request("/who.php")
        self.assertEqual(r.status, 200, s.output())
        uid, pid = (int(x) for x in r.body.split())
        self.assertEqual(uid, self.uid)  # the drop worked while the account existed
        # instance_max_requests = 1: that worker is recycled. The set's php-cgi parent (and the child
        # forked ahead) still run as the account, so plain userdel refuses it: -f, as an administrator would.
        self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{pid}")), f"worker {pid} was not recycled")
        subprocess.run(["userdel", "-f", self.account], check=True)
        with self.assertRaises(KeyError):
            pwd.getpwnam(self.account)
        # Within a housekeeping tick (1 s) nothing runs as the deleted uid any more.
        self.assertTrue(wait_for(lambda: not uid_processes(self.uid)), f"still running: {uid_processes(self.uid)}")

        statuses = []
        for _ in range(3):
            r = s.request("/who.php")
            statuses.append(r.status)
            self.assertNotIn(str(self.uid).encode(), r.body)
            for child, name, uids in self.php_children():
                self.assertNotIn(0, uids, f"php-cgi {child} runs as root: {uids}")
                self.assertNotIn(self.uid, uids, f"php-cgi {child} runs as the deleted uid: {uids}")
        self.assertTrue(all(500 <= st < 600 for st in statuses), statuses)
        self.assertEqual(statuses[0], 502)

        needle = f"[pool main] resolve account {self.account} failed: no such account"
        self.assertTrue(wait_for(lambda: needle in self.error_log(), 5), self.error_log())
        self.assertIn(needle, s.output())
        self.assertEqual(s.stop(), 0, s.output())

    def test_root_is_refused_as_a_pool_identity(self):
        # the other way a pool could end up as root: the configuration names it
        s = self.s
        with open(s.config) as f:
            text = f.read()
        with open(s.config, "w") as f:
            f.write(text.replace(f'identity = "{self.account}"', 'identity = "root"'))
        s.stderr = open(s.stderr_path, "wb")
        s.proc = subprocess.Popen([BIN, "serve", "--config", s.config], stdout=s.stderr, stderr=subprocess.STDOUT)
        try:
            code = s.proc.wait(20)
        except subprocess.TimeoutExpired:
            code = None
        self.assertIsNotNone(code, "serve accepted root as a pool identity: " + s.output())
        self.assertNotEqual(code, 0)
        self.assertRegex(s.output(), r"\[pool main\].*\broot\b")


if __name__ == "__main__":
    unittest.main()

"""`gatehouse check --farm`: a configuration that is the same on every node
passes and prints a fingerprint that ignores [node], comments and layout but
follows every setting and the pools' php.ini; node-local bindings, state on
tmpfs, sessions kept on the node and unpinned account ids fail, each named.
Pinned uids are checked against this machine, the front's (gh-front) too; a
serve whose front uid is taken refuses to start. Nothing is served and no
address is contacted."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from ghtest import BIN, write


def free_id(start):
    import grp
    import pwd
    for i in range(start, start + 900):
        try:
            pwd.getpwuid(i)
            continue
        except KeyError:
            pass
        try:
            grp.getgrgid(i)
            continue
        except KeyError:
            return i
    raise AssertionError("no free id")


class FarmCheck(unittest.TestCase):
    def setUp(self):
        # Not under /tmp: on some machines it is tmpfs, which the farm rules refuse for state_dir.
        self.dir = tempfile.mkdtemp(prefix="gh-farm-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, self.dir, True)
        r = self.dir
        os.makedirs(f"{r}/www")
        self.uid = free_id(64000)
        write(f"{r}/php.ini", 'session.save_handler = redis\nsession.save_path = "tcp://10.0.0.9:6379?prefix=shop:"\n'
                              "redis.session.locking_enabled = 1\n")
        self.good = f"""# the farm's configuration, the same file on every node
[server]
state_dir = "{r}/state"
log_dir = "{r}/log"
threads = 2
trusted_proxies = ["10.0.0.2"]

[node]
name = "web1"
threads = 4

[accounts]
anonymous = "gh-farm-iusr"
anonymous_uid = {self.uid + 1}
anonymous_gid = {self.uid + 1}

[[pools]]
name = "shop"
php_ini = "{r}/php.ini"
uid = {self.uid}
gid = {self.uid}

[[sites]]
name = "shop"
bindings = ["http://*:8080:*"]
physical_path = "{r}/www"
pool = "shop"
proxy_protocol = true
"""

    def check(self, text, name="gh.toml"):
        path = os.path.join(self.dir, name)
        write(path, text)
        p = subprocess.run([BIN, "check", "--farm", "--config", path], capture_output=True, text=True, timeout=60)
        m = re.search(r"^fingerprint (sha256:[0-9a-f]{64})$", p.stdout, re.M)
        return p.returncode, p.stdout + p.stderr, m.group(1) if m else None

    def test_a_node_independent_configuration_passes_with_a_fingerprint(self):
        code, out, fp = self.check(self.good)
        self.assertEqual(code, 0, out)
        self.assertIn("farm: node-independent", out)
        self.assertIsNotNone(fp, out)
        self.assertIn("sessions in Redis tcp://10.0.0.9:6379", out)
        self.assertIn(f"pool shop gh-pool-shop (uid {self.uid} gid {self.uid}): not created yet", out)

    def test_the_fingerprint_ignores_node_comments_and_layout(self):
        _, _, fp = self.check(self.good)
        other_node = self.good.replace('name = "web1"\nthreads = 4', f'name = "web2"\nthreads = 8\nstate_dir = "{self.dir}/s2"')
        relaid = "\n".join(l for l in other_node.splitlines() if not l.startswith("#")).replace(" = ", "=")
        code, out, fp2 = self.check(relaid, "node2.toml")
        self.assertEqual(code, 0, out)
        self.assertEqual(fp, fp2)

    def test_the_fingerprint_follows_settings_and_php_ini(self):
        _, _, fp = self.check(self.good)
        _, _, changed = self.check(self.good.replace('threads = 2\n', 'threads = 3\n'))
        self.assertNotEqual(fp, changed, "a [server] setting outside [node] is part of the farm")
        with open(f"{self.dir}/php.ini", "a") as f:
            f.write("memory_limit = 256M\n")
        _, _, ini_changed = self.check(self.good)
        self.assertNotEqual(fp, ini_changed, "the pool's php.ini is part of the farm")

    def test_node_dependent_settings_fail_each_named(self):
        bad = (self.good.replace("http://*:8080:*", "http://192.0.2.10:8080:*")
               .replace("tcp://10.0.0.9:6379", "tcp://127.0.0.1:6379")
               .replace(f"uid = {self.uid}\ngid = {self.uid}\n", ""))
        write(f"{self.dir}/php.ini", 'session.save_handler = redis\nsession.save_path = "tcp://127.0.0.1:6379"\n'
                                     "redis.session.locking_enabled = 1\n")
        if os.path.isdir("/dev/shm") and subprocess.run(["stat", "-f", "-c", "%T", "/dev/shm"], capture_output=True,
                                                         text=True).stdout.strip() == "tmpfs":
            bad = bad.replace(f'state_dir = "{self.dir}/state"', 'state_dir = "/dev/shm/gh-farm-state"')
            tmpfs = True
        else:
            tmpfs = False
        code, out, fp = self.check(bad)
        self.assertEqual(code, 1, out)
        self.assertIn("farm: NOT node-independent", out)
        self.assertIn("binding http://192.0.2.10:8080:* names the address 192.0.2.10 of one node", out)
        self.assertIn("pool shop: sessions go to tcp://127.0.0.1:6379, a Redis on each node", out)
        self.assertIn("account gh-pool-shop has no pinned uid and gid", out)
        if tmpfs:
            self.assertIn("state_dir /dev/shm/gh-farm-state is on tmpfs", out)
        self.assertIsNotNone(fp, "the fingerprint is printed even when a rule fails")

    def test_session_files_on_the_node_fail(self):
        write(f"{self.dir}/php.ini", f'session.save_path = "{self.dir}/sessions"\n')
        os.makedirs(f"{self.dir}/sessions")
        code, out, _ = self.check(self.good)
        self.assertEqual(code, 1, out)
        self.assertIn(f"sessions in files in {self.dir}/sessions, a folder of each node", out)

    def test_a_pinned_uid_held_by_another_account_fails_check(self):
        code, out, _ = self.check(self.good.replace(f"uid = {self.uid}\n", "uid = 1\n", 1))
        self.assertEqual(code, 1, out)
        self.assertIn("CLASH: uid 1 is pinned for gh-pool-shop but belongs to account daemon", out)
        self.assertIn("configuration NOT OK", out)

    def test_accounts_create_uses_the_pinned_ids_and_refuses_a_clash(self):
        import grp
        import pwd
        import secrets
        tag = secrets.token_hex(3)
        pool, anonymous = "fp" + tag, "gh-fa-" + tag
        for name in ("gh-pool-" + pool, anonymous):
            self.addCleanup(subprocess.run, ["sh", "-c", f"userdel {name}; groupdel {name}"], capture_output=True)
        text = (self.good.replace('name = "shop"\nphp_ini', f'name = "{pool}"\nphp_ini')
                .replace('pool = "shop"', f'pool = "{pool}"').replace("gh-farm-iusr", anonymous))
        path = os.path.join(self.dir, "accounts.toml")
        write(path, text)
        p = subprocess.run([BIN, "accounts", "create", "--config", path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(pwd.getpwnam("gh-pool-" + pool).pw_uid, self.uid)
        self.assertEqual(grp.getgrnam("gh-pool-" + pool).gr_gid, self.uid)
        self.assertEqual(pwd.getpwnam(anonymous).pw_uid, self.uid + 1)
        # Another node whose configuration pins a uid this machine gives to daemon.
        clash = text.replace(f"anonymous_uid = {self.uid + 1}", "anonymous_uid = 1").replace(anonymous, anonymous + "x")
        self.addCleanup(subprocess.run, ["sh", "-c", f"userdel {anonymous}x; groupdel {anonymous}x"],
                        capture_output=True)
        write(path, clash)
        p = subprocess.run([BIN, "accounts", "create", "--config", path], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn(f"uid 1 is pinned for {anonymous}x but belongs to account daemon", p.stderr)
        with self.assertRaises(KeyError):
            pwd.getpwnam(anonymous + "x")

    def test_the_front_account_is_pinned_like_the_others(self):
        import pwd
        code, out, _ = self.check(self.good)
        self.assertIn("note: the front account gh-front has no pinned uid and gid", out)
        try:
            front = pwd.getpwnam("gh-front")
            uid, gid, state = front.pw_uid, front.pw_gid, "ok"
        except KeyError:
            uid = gid = free_id(self.uid + 2)
            state = "not created yet; `gatehouse serve` (as root) uses these ids"
        pinned = self.good.replace("[accounts]\n", f"[accounts]\nfront_uid = {uid}\nfront_gid = {gid}\n")
        code, out, _ = self.check(pinned)
        self.assertEqual(code, 0, out)
        self.assertIn(f"front gh-front (uid {uid} gid {gid}): {state}", out)
        self.assertNotIn("the front account gh-front has no pinned", out)
        code, out, _ = self.check(pinned.replace(f"front_uid = {uid}", "front_uid = 1"))
        self.assertEqual(code, 1, out)
        self.assertIn("CLASH: uid 1 is pinned for gh-front but belongs to account daemon", out)

    @unittest.skipUnless(os.geteuid() == 0 or os.environ.get("CI") == "true", "serve as root")
    def test_serve_refuses_a_front_whose_pinned_uid_is_taken(self):
        import secrets
        from ghtest import free_port
        tag = secrets.token_hex(3)
        pool, anonymous = "fq" + tag, "gh-fq-" + tag
        for name in ("gh-pool-" + pool, anonymous):  # serve creates them before it turns to the front
            self.addCleanup(subprocess.run, ["sh", "-c", f"userdel {name}; groupdel {name}"], capture_output=True)
        text = (self.good.replace('name = "shop"\nphp_ini', f'name = "{pool}"\nphp_ini')
                .replace("gh-farm-iusr", anonymous).replace(f"anonymous_uid = {self.uid + 1}\n", "")
                .replace(f"anonymous_gid = {self.uid + 1}\n", "")
                .replace('pool = "shop"', f'pool = "{pool}"').replace(f"uid = {self.uid}\ngid = {self.uid}\n", "")
                .replace("[accounts]\n", "[accounts]\nfront_uid = 1\n")
                .replace("http://*:8080:*", f"http://127.0.0.1:{free_port()}:*"))
        path = os.path.join(self.dir, "serve.toml")
        write(path, text)
        p = subprocess.run([BIN, "serve", "--config", path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("cannot provision the front's account gh-front", p.stdout + p.stderr)
        self.assertIn("uid 1 is pinned for gh-front but belongs to account daemon", p.stdout + p.stderr)

    def test_without_farm_the_rules_do_not_apply(self):
        path = os.path.join(self.dir, "plain.toml")
        write(path, self.good.replace("http://*:8080:*", "http://192.0.2.10:8080:*"))
        p = subprocess.run([BIN, "check", "--config", path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("fingerprint", p.stdout)


if __name__ == "__main__":
    unittest.main()

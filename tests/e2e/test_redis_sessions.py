"""PHP sessions out of process: a pool whose php.ini says
session.save_handler = redis (Debian's php-redis) keeps its sessions in a real
redis-server started here on a free loopback port (and stopped after). `check`
says where sessions go and warns when phpredis locking is off or two pools
share one database and key prefix; the permission plan plans no session folder."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from ghtest import BIN, Reader, Server, build_request, free_port, write
from test_php import PhpServer

COUNTER = b"""<?php
session_start();
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
echo session_id(), ' ', $_SESSION['n'];
"""


def need(program):
    path = shutil.which(program)
    if path is None:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{program} missing: run scripts/deps.sh")
        raise unittest.SkipTest(f"{program} missing (scripts/deps.sh installs it)")
    return path


class Redis:
    """redis-server on 127.0.0.1:<free port>, no persistence, in a temporary folder."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="gh-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [need("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir.name, "--daemonize", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"redis-server exited with {self.proc.returncode}")
                time.sleep(0.05)
        self.stop()
        raise AssertionError("redis-server did not start listening")

    def cli(self, *args):
        return subprocess.run([need("redis-cli"), "-p", str(self.port), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.dir.cleanup()


def redis_ini(port, extra="redis.session.locking_enabled = 1\n", prefix="ghtest:"):
    return (f'session.save_handler = redis\nsession.save_path = "tcp://127.0.0.1:{port}?prefix={prefix}"\n'
            f"{extra}cgi.fix_pathinfo = 0\n")


class RedisSessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("redis-server")
        cls.redis = Redis()
        try:
            cls.server = PhpServer(php_ini=redis_ini(cls.redis.port))
            write(os.path.join(cls.server.www, "count.php"), COUNTER)
            cls.server.start()
        except BaseException:
            cls.redis.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            out = cls.server.output()
            cls.server.close()
            assert code == 0, f"gatehouse exited with {code}: {out}"
        finally:
            cls.redis.stop()

    def get(self, cookie=None):
        headers = {"Cookie": f"PHPSESSID={cookie}"} if cookie else {}
        with self.server.connect() as s:
            s.sendall(build_request("/count.php", headers=headers))
            r = Reader(s).response()
        self.assertEqual(r.status, 200, r.body)
        sid, n = r.body.decode().split(" ")
        return sid, int(n)

    def test_sessions_are_stored_in_redis(self):
        sid, n = self.get()
        self.assertEqual(n, 1)
        for expected in (2, 3):
            self.assertEqual(self.get(sid), (sid, expected))
        keys = self.redis.cli("--scan", "--pattern", "ghtest:*").split()
        self.assertIn("ghtest:" + sid, keys)
        self.assertIn("n|i:3;", self.redis.cli("GET", "ghtest:" + sid))
        # Nothing went to a session folder: PHP's default stays empty of this id.
        self.assertFalse(os.path.exists(f"/var/lib/php/sessions/sess_{sid}"))

    def test_a_session_survives_the_server_restart(self):
        sid, _ = self.get()
        self.get(sid)
        code = self.server.stop()
        self.assertEqual(code, 0)
        self.server.stderr.close()
        Server.start(self.server)  # not PhpServer.start: the tree is open already, the state folder is made
        self.assertEqual(self.get(sid), (sid, 3))

    def test_check_shows_where_sessions_go(self):
        p = subprocess.run([BIN, "check", "--config", self.server.config], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(f'sessions: Redis tcp://127.0.0.1:{self.redis.port} database 0, key prefix "ghtest:", locking on',
                      p.stdout)
        self.assertNotIn("phpredis session locking is off", p.stdout + p.stderr)

    def test_the_plan_has_no_session_folder(self):
        p = subprocess.run([BIN, "perms", "plan", "--config", self.server.config], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("session.save_path", p.stdout)
        self.assertNotIn("/var/lib/php/sessions", p.stdout)
        self.assertIn(f"sessions go to Redis tcp://127.0.0.1:{self.redis.port}", p.stdout)

    def test_the_audit_reports_locking_off(self):
        ini = os.path.join(self.server.root, "nolock.ini")
        write(ini, redis_ini(self.redis.port, extra=""))
        with open(self.server.config) as f:
            text = f.read().replace(f'php_ini = "{self.server.ini}"', f'php_ini = "{ini}"')
        config = os.path.join(self.server.root, "nolock.toml")
        write(config, text)
        p = subprocess.run([BIN, "perms", "audit", "--config", config, "--json"], capture_output=True, text=True,
                           timeout=120)
        self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)
        rules = {f["rule"]: f for f in json.loads(p.stdout)["findings"]}
        self.assertIn("redis-session-locking", rules, p.stdout)
        self.assertIn("redis.session.locking_enabled = 1 in " + ini, rules["redis-session-locking"]["fix"])
        self.assertNotIn("shared-session-dir", rules)


class RedisRisks(unittest.TestCase):
    """`check` on configurations that are never served: no Redis is contacted."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="gh-e2e-")
        self.addCleanup(self.tmp.cleanup)

    def check(self, ini_a, ini_b):
        r = self.tmp.name
        write(f"{r}/a.ini", ini_a)
        write(f"{r}/b.ini", ini_b)
        os.makedirs(f"{r}/a", exist_ok=True)
        os.makedirs(f"{r}/b", exist_ok=True)
        write(f"{r}/gh.toml", f"""
[server]
state_dir = "{r}/state"
log_dir = "{r}/log"
[[pools]]
name = "a"
php_ini = "{r}/a.ini"
[[pools]]
name = "b"
php_ini = "{r}/b.ini"
[[sites]]
name = "a"
bindings = ["http://127.0.0.1:8081:a"]
physical_path = "{r}/a"
pool = "a"
[[sites]]
name = "b"
bindings = ["http://127.0.0.1:8081:b"]
physical_path = "{r}/b"
pool = "b"
""")
        p = subprocess.run([BIN, "check", "--config", f"{r}/gh.toml"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_locking_off_is_a_warning(self):
        out = self.check(redis_ini(6379, extra="", prefix="a:"), redis_ini(6379, prefix="b:"))
        self.assertIn("pool a: phpredis session locking is off", out)
        self.assertNotIn("pool b: phpredis session locking is off", out)
        self.assertIn("locking OFF (redis.session.locking_enabled)", out)

    def test_one_database_and_prefix_for_two_pools_is_a_warning(self):
        out = self.check(redis_ini(6379, prefix="same:"), redis_ini(6379, prefix="same:"))
        self.assertIn('pools a and b keep sessions in one Redis database (tcp://127.0.0.1:6379 database 0) with the '
                      'same key prefix "same:"', out)
        distinct = self.check(redis_ini(6379, prefix="a:"), redis_ini(6379, prefix="b:"))
        self.assertNotIn("keep sessions in one Redis database", distinct)
        other_db = self.check(redis_ini(6379, prefix="same:"),
                              redis_ini(6379, prefix="same:&database=1"))
        self.assertNotIn("keep sessions in one Redis database", other_db)


if __name__ == "__main__":
    unittest.main()

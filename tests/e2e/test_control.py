"""The control socket and its CLI against a real server: `gatehouse status`
with and without a running server, status --json after known traffic,
`gatehouse recycle` under load (new pids, no failed request), `gatehouse stop`,
SIGUSR1 reopening the error log and the access log after logrotate moved them,
and the refusals (a state folder others can write, a foreign file in place of
the socket, a client of another account)."""
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

from ghtest import BIN, Server, write
from test_php import PhpServer


def gh(*args, user=None, timeout=60):
    cmd = [BIN, *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def wait_for(predicate, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except FileNotFoundError:  # the file or folder waited for is not there yet
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_php():
    server = PhpServer(fastcgi="max_instances = 2")
    write(os.path.join(server.www, "pid.php"), "<?php usleep(20000); echo getmypid();")
    return server.start()


def read_text(path):
    with open(path) as f:
        return f.read()


class NoServer(unittest.TestCase):
    def test_status_without_a_server_says_how_to_start_one(self):
        server = Server()
        try:
            for cmd in (["status"], ["status", "--json"], ["recycle", "main"], ["stop"]):
                r = gh(*cmd, "--config", server.config)
                self.assertEqual(r.returncode, 3, r)
                self.assertIn(f"no gatehouse is running for {server.config}: "
                              f"start it with gatehouse serve --config {server.config}", r.stderr)
        finally:
            server.tmp.cleanup()


class Running(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_php()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def status(self):
        r = gh("status", "--json", "--config", self.server.config)
        self.assertEqual(r.returncode, 0, r)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["pid"], self.server.proc.pid)
        (pool,) = [p for p in doc["pools"] if p["name"] == "main"]
        return pool

    def sites(self):
        r = gh("status", "--json", "--config", self.server.config)
        self.assertEqual(r.returncode, 0, r)
        return {s["name"]: s for s in json.loads(r.stdout)["sites"]}

    def worker_pids(self):
        return {i["pid"] for s in self.status()["worker_sets"] for i in s["instances"]}

    def test_1_socket_is_root_only(self):
        st = os.lstat(os.path.join(self.server.root, "state", "control.sock"))
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, os.geteuid())

    def test_2_status_counts_known_traffic(self):
        before = sum(s["requests"] for s in self.status()["worker_sets"])
        site_before = self.sites()["main"]
        for _ in range(7):
            status, _, body = self.server.get("/pid.php")
            self.assertEqual(status, 200)
        for _ in range(3):
            self.assertEqual(self.server.get("/missing.html")[0], 404)
        want = {"2xx": site_before["2xx"] + 7, "4xx": site_before["4xx"] + 3, "5xx": site_before["5xx"]}
        wait_for(lambda: all(self.sites()["main"][k] == v for k, v in want.items()), what=f"site counts {want}")
        self.assertEqual(self.sites()["main"]["requests"], site_before["requests"] + 10)
        pool = self.status()
        (wset,) = pool["worker_sets"]
        self.assertEqual(wset["requests"] - before, 7)
        self.assertEqual(wset["queue"], 0)
        self.assertGreaterEqual(len(wset["instances"]), 1)
        self.assertLessEqual(len(wset["instances"]), 2)
        self.assertEqual(sum(i["requests"] for i in wset["instances"]), wset["requests"])
        for i in wset["instances"]:
            self.assertIn(i["state"], ("idle", "busy", "starting"))
            self.assertGreater(i["rss_kib"], 1000)  # php-cgi is megabytes
            self.assertEqual(i["account"], wset["account"])
            self.assertGreaterEqual(i["age_seconds"], 0)
        text = gh("status", "--config", self.server.config)
        self.assertEqual(text.returncode, 0, text)
        self.assertIn("pool main", text.stdout)
        self.assertIn("site main:", text.stdout)
        for i in wset["instances"]:
            self.assertIn(str(i["pid"]), text.stdout)

    def test_3_recycle_under_load_changes_pids_without_failures(self):
        self.assertEqual(self.server.get("/pid.php")[0], 200)
        old = self.worker_pids()
        self.assertTrue(old)
        results, stop = [], threading.Event()

        def load():
            while not stop.is_set() and len(results) < 2000:
                status, _, body = self.server.get("/pid.php")
                results.append((status, body))

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.3)
            r = gh("recycle", "main", "--config", self.server.config)
            self.assertEqual(r.returncode, 0, r)
            wait_for(lambda: not (old & self.worker_pids()), what="the old workers to go")
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertGreater(len(results), 10)
        self.assertEqual([s for s, _ in results if s != 200], [])
        served_by = {int(b) for _, b in results}
        self.assertTrue(served_by - old, "no request reached a new worker")
        self.assertGreaterEqual(self.status()["worker_sets"][0]["recycles"], len(old))

    def test_4_recycle_of_an_unknown_pool_fails(self):
        r = gh("recycle", "nosuchpool", "--config", self.server.config)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("no such pool", r.stderr)

    def test_5_sigusr1_reopens_the_logs(self):
        log_dir = self.server.log_dir
        error_log = os.path.join(log_dir, "error.log")
        self.assertEqual(self.server.get("/pid.php")[0], 200)
        access_dir = os.path.join(log_dir, "main")
        wait_for(lambda: os.listdir(access_dir), what="an access log")
        (access_name,) = os.listdir(access_dir)
        os.rename(error_log, error_log + ".1")
        os.rename(os.path.join(access_dir, access_name), os.path.join(log_dir, "moved-access.log"))
        self.server.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: os.path.exists(error_log), what="a new error.log")
        with open(error_log) as f:
            self.assertIn("log files reopened", f.read())
        # The confined front cannot open root's new file: it writes to the descriptor the supervisor sent.
        wait_for(lambda: "[front] log files reopened" in read_text(error_log), what="the front's line in the new error.log")
        self.assertNotIn("[front] log files reopened", read_text(error_log + ".1"))
        self.assertEqual(self.server.get("/pid.php?after-rotation")[0], 200)
        new_access = os.path.join(access_dir, access_name)
        def read(path):
            with open(path) as f:
                return f.read()

        wait_for(lambda: os.path.exists(new_access) and "after-rotation" in read(new_access),
                 what="the request in a new access log")
        with open(new_access) as f:
            self.assertTrue(f.read().startswith("#Software: Gatehouse"))
        with open(os.path.join(log_dir, "moved-access.log")) as f:
            self.assertNotIn("after-rotation", f.read())
        # the same through the control socket
        os.rename(error_log, error_log + ".2")
        self.assertEqual(gh("reopen-logs", "--config", self.server.config).returncode, 0)
        wait_for(lambda: os.path.exists(error_log), what="error.log after reopen-logs")

    def test_5b_the_packaged_logrotate_file_rotates_and_reopens(self):
        """packaging/logrotate, run by logrotate itself, with the paths moved to this server's."""
        log_dir = self.server.log_dir
        error_log = os.path.join(log_dir, "error.log")
        with open(os.path.join(os.environ.get("GH_SOURCE_DIR", "../.."), "packaging", "logrotate")) as f:
            conf = f.read()
        conf = (conf.replace("/var/log/gatehouse", log_dir).replace("/usr/sbin/gatehouse", os.path.abspath(BIN))
                .replace("/etc/gatehouse/gatehouse.toml", self.server.config))
        conf_path = os.path.join(self.server.root, "logrotate.conf")
        write(conf_path, conf, 0o644)
        before = os.stat(error_log).st_ino
        r = subprocess.run(["logrotate", "-f", "-s", os.path.join(self.server.root, "logrotate.state"), conf_path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(os.path.exists(error_log + ".1"))
        wait_for(lambda: os.path.exists(error_log) and os.stat(error_log).st_ino != before,
                 what="a new error.log after logrotate")
        with open(error_log) as f:
            self.assertIn("log files reopened", f.read())

    def test_6_another_account_is_refused(self):
        r = gh("status", "--config", self.server.config, user="nobody")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("Permission denied (the control socket is root's: run as root)", r.stderr)
        self.assertNotIn('"pools"', r.stdout)


class Stop(unittest.TestCase):
    def test_stop_ends_the_server_with_exit_0(self):
        server = Server().start()
        try:
            r = gh("stop", "--config", server.config)
            self.assertEqual(r.returncode, 0, r)
            self.assertEqual(server.proc.wait(30), 0)
            self.assertIn("stopped", server.output())
            self.assertFalse(os.path.exists(os.path.join(server.root, "state", "control.sock")))
            self.assertEqual(gh("status", "--config", server.config).returncode, 3)
        finally:
            server.close()


class Notify(unittest.TestCase):
    """Type=notify: READY=1 once the sites listen, STOPPING=1 on stop, to a path or an abstract socket."""

    def run_with(self, address, bind_to):
        import socket as so
        listener = so.socket(so.AF_UNIX, so.SOCK_DGRAM)
        listener.bind(bind_to)
        listener.settimeout(20)
        server = Server()
        os.environ["NOTIFY_SOCKET"] = address
        try:
            server.start()
            self.assertEqual(listener.recv(100), b"READY=1")
            server.connect().close()  # listening when it said so
            self.assertEqual(gh("status", "--config", server.config).returncode, 0)
            self.assertEqual(server.stop(), 0)
            self.assertEqual(listener.recv(100), b"STOPPING=1")
        finally:
            del os.environ["NOTIFY_SOCKET"]
            listener.close()
            server.close()

    def test_path_socket(self):
        with __import__("tempfile").TemporaryDirectory() as d:
            path = os.path.join(d, "notify")
            self.run_with(path, path)

    def test_abstract_socket(self):
        name = f"gh-notify-test-{os.getpid()}"
        self.run_with("@" + name, "\0" + name)


class Refusals(unittest.TestCase):
    def serve_fails(self, server, message):
        proc = subprocess.run([BIN, "serve", "--config", server.config], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 1, proc)
        self.assertIn(message, proc.stdout + proc.stderr)

    def test_state_folder_writable_by_others(self):
        server = Server()
        try:
            os.makedirs(os.path.join(server.root, "state"))
            os.chmod(os.path.join(server.root, "state"), 0o777)
            self.serve_fails(server, "writable by group or others: refused")
        finally:
            server.tmp.cleanup()

    def test_a_file_in_place_of_the_socket(self):
        server = Server()
        try:
            write(os.path.join(server.root, "state", "control.sock"), "not a socket")
            self.serve_fails(server, "exists and is not our socket: refused")
            with open(os.path.join(server.root, "state", "control.sock")) as f:
                self.assertEqual(f.read(), "not a socket")  # left alone
        finally:
            server.tmp.cleanup()

    def test_stale_socket_is_replaced(self):
        import socket as so
        server = Server()
        try:
            os.makedirs(os.path.join(server.root, "state"))
            s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
            s.bind(os.path.join(server.root, "state", "control.sock"))
            s.close()  # bound, never listening: what a crashed server leaves
            server.start()
            self.assertEqual(gh("status", "--config", server.config).returncode, 0)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

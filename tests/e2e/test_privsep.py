"""Privilege separation (issue 9): `serve` as root runs a root
supervisor that never holds a client connection, and a front that serves
every request as gh-front under NoNewPrivs, seccomp and two capabilities.
The supervisor refuses a hostile SPAWN and restarts a killed front."""
import ctypes
import os
import pwd
import signal
import socket
import struct
import subprocess
import time
import unittest

from ghtest import BIN, Server, write

IN_CI = os.environ.get("CI") == "true"
CAP_EFF = "00000000000000c0"  # CAP_SETGID | CAP_SETUID
SYS_PIDFD_GETFD = 438


def require_root():
    if os.geteuid() != 0:
        if IN_CI:
            raise AssertionError("privilege separation tests need root, and CI=true forbids skipping")
        raise unittest.SkipTest("privilege separation tests need root")


def status_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def children_of(pid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(name))
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:  # it ended while we looked
        return ""


def tcp_socket_states():
    """inode -> state (hex, 0A = LISTEN) for every TCP socket of the machine."""
    states = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                states[cols[9]] = cols[3]
    return states


def spawn_message(pool, uid, account, msg_id=0x7777):
    body = struct.pack("<II33s3x", pool, uid, account.encode())
    return struct.pack("<IIQ", 65, 16 + len(body), msg_id) + body


class SplitServer(Server):
    def start(self, timeout=20):
        self.stderr = open(self.stderr_path, "wb")
        # plain `serve`: the split is root's default
        self.proc = subprocess.Popen([BIN, "serve", "--config", self.config],
                                     stdout=self.stderr, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gatehouse exited with {self.proc.returncode}: {self.output()}")
            if self.front() and self.answers():  # not just the supervisor's backlog
                return self
            time.sleep(0.1)
        raise AssertionError("the split server did not start serving: " + self.output())

    def front(self):
        fronts = [p for p in children_of(self.proc.pid) if comm(p) == "gh-front"]
        return fronts[0] if fronts else None

    def answers(self):
        try:
            return self.request("/index.html").status == 200
        except OSError:
            return False

    def error_log(self):
        with open(os.path.join(self.log_dir, "error.log"), errors="replace") as f:
            return f.read()


class PrivsepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root()
        cls.server = SplitServer()
        write(os.path.join(cls.server.www, "index.html"), "static\n")
        write(os.path.join(cls.server.www, "who.php"), "<?php echo posix_geteuid();")
        os.chmod(cls.server.www, 0o755)
        for name in ("index.html", "who.php"):
            os.chmod(os.path.join(cls.server.www, name), 0o644)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def wait_for(self, predicate, limit=15):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        return predicate()

    def test_1_the_front_is_confined_and_serves(self):
        front = self.server.front()
        st = status_of(front)
        self.assertTrue(all(u != "0" for u in st["Uid"].split()), st["Uid"])
        self.assertTrue(all(g != "0" for g in st["Gid"].split()), st["Gid"])
        self.assertEqual(st["NoNewPrivs"], "1")
        self.assertEqual(st["Seccomp"], "2")
        self.assertEqual(st["CapEff"], CAP_EFF)
        self.assertEqual(st["CapPrm"], CAP_EFF)
        self.assertEqual(st["CapBnd"], CAP_EFF)
        sup = status_of(self.server.proc.pid)
        self.assertTrue(sup["Uid"].startswith("0"), "the supervisor is root")
        r = self.server.request("/index.html")
        self.assertEqual((r.status, r.body), (200, b"static\n"))
        r = self.server.request("/who.php")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(int(r.body), pwd.getpwnam("gh-pool-main").pw_uid, "PHP runs as the pool's account")

    def test_2_the_supervisor_holds_no_client_connection(self):
        # a connection kept open while we look: it must be the front's, never the supervisor's
        with self.server.connect() as held:
            held.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
            held.recv(4096)
            states = tcp_socket_states()
            fd_dir = f"/proc/{self.server.proc.pid}/fd"
            tcp = []
            for fd in os.listdir(fd_dir):
                try:
                    target = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inode = target[8:-1]
                    if inode in states:
                        tcp.append(states[inode])
            self.assertTrue(tcp, "the supervisor holds the listening sockets")
            self.assertEqual(set(tcp), {"0A"}, "supervisor TCP sockets other than LISTEN")

    def test_3_a_hostile_spawn_is_refused_and_logged(self):
        front = self.server.front()
        pidfd = os.pidfd_open(front)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, 3, 0)  # the front's end of the channel, as an attacker in it has
        os.close(pidfd)
        self.assertGreaterEqual(fd, 0, os.strerror(ctypes.get_errno()))
        with socket.socket(fileno=fd) as channel:
            channel.send(spawn_message(99, 1000, "gh-pool-x"))
            channel.send(spawn_message(0, 0, "root"))
        log = self.wait_for(lambda: ("pool index 99 out of range" in self.server.error_log()
                                     and "uid 0" in self.server.error_log()) and self.server.error_log())
        self.assertIn("refused a request of the front", log or self.server.error_log())
        self.assertEqual(self.server.front(), front, "a refused request does not cost the front its life")
        self.assertEqual(self.server.request("/who.php").status, 200)

    def test_4_a_killed_front_is_restarted(self):
        front = self.server.front()
        os.kill(front, signal.SIGKILL)
        new = self.wait_for(lambda: (self.server.front() not in (None, front)) and self.server.front())
        self.assertTrue(new, "no new front: " + self.server.output()[-2000:])
        self.assertTrue(self.wait_for(self.server.answers), "the new front does not answer")
        self.assertEqual(self.server.request("/who.php").status, 200)
        self.assertEqual(status_of(new)["Seccomp"], "2")
        self.assertIn("restarting it", self.server.error_log())

    def test_5_a_malformed_message_costs_the_front_its_life(self):
        front = self.server.front()
        pidfd = os.pidfd_open(front)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, 3, 0)
        os.close(pidfd)
        self.assertGreaterEqual(fd, 0, os.strerror(ctypes.get_errno()))
        with socket.socket(fileno=fd) as channel:
            message = spawn_message(0, 1000, "x")
            channel.send(message[:-4])  # a SPAWN four bytes short: the supervisor trusts no size
        self.assertTrue(self.wait_for(lambda: "sent a bad message" in self.server.error_log()), self.server.error_log())
        new = self.wait_for(lambda: (self.server.front() not in (None, front)) and self.server.front())
        self.assertTrue(new, "no new front")
        self.assertTrue(self.wait_for(self.server.answers), "the new front does not answer")


    def test_6_reload_restarts_the_front_with_the_checked_file(self):
        """SIGHUP and `gatehouse reload` go to the supervisor: it checks the
        file (an invalid one changes nothing), then a new front serves it."""
        supervisor, front = self.server.proc.pid, self.server.front()
        with open(self.server.config) as f:
            good = f.read()
        try:
            with open(self.server.config, "w") as f:
                f.write(good + "\nnot_a_key = 1\n")
            r = subprocess.run([BIN, "reload", "--config", self.server.config], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("not_a_key", r.stderr)
            self.assertEqual(self.server.front(), front, "an invalid file restarted the front")
        finally:
            with open(self.server.config, "w") as f:
                f.write(good)
        r = subprocess.run([BIN, "reload", "--config", self.server.config], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("reloaded", r.stdout)
        new = self.wait_for(lambda: (self.server.front() not in (None, front)) and self.server.front())
        self.assertTrue(new, "no new front after the reload: " + self.server.output()[-2000:])
        self.assertTrue(self.wait_for(self.server.answers), "the new front does not answer")
        self.assertEqual(self.server.request("/who.php").status, 200)
        self.assertEqual(status_of(new)["Seccomp"], "2")
        self.server.proc.send_signal(signal.SIGHUP)
        newer = self.wait_for(lambda: (self.server.front() not in (None, new)) and self.server.front())
        self.assertTrue(newer, "SIGHUP did not restart the front")
        self.assertTrue(self.wait_for(self.server.answers), "the front after SIGHUP does not answer")
        self.assertEqual(self.server.proc.pid, supervisor)
        self.assertIsNone(self.server.proc.poll())
        self.assertNotIn("restarting it", self.server.error_log().split("reload: reading")[-1])


class SupervisorDeathTest(unittest.TestCase):
    def test_the_front_stops_when_the_supervisor_dies(self):
        require_root()
        server = SplitServer()
        write(os.path.join(server.www, "index.html"), "static\n")
        os.chmod(server.www, 0o755)
        os.chmod(os.path.join(server.www, "index.html"), 0o644)
        try:
            server.start()
            front = server.front()
            server.proc.kill()
            server.proc.wait(10)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and os.path.exists(f"/proc/{front}") and comm(front) == "gh-front":
                time.sleep(0.1)
            self.assertFalse(os.path.exists(f"/proc/{front}") and comm(front) == "gh-front",
                             "the front outlived its supervisor")
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

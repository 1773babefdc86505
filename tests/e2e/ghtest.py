"""Shared helpers for the end-to-end tests: a temporary site, a running
`gatehouse serve` on a free loopback port, and raw-socket HTTP clients.

Environment: GATEHOUSE_BIN (the binary), GH_SOURCE_DIR (the repository).
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("GATEHOUSE_BIN", os.path.join(os.environ.get("GH_SOURCE_DIR", "../.."), "build/gatehouse"))


def free_port():
    """A free port below the ephemeral range (32768 up), so no client socket of
    another test (a flood opens thousands) can take it before the server binds."""
    import random
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 20000-31999")


def write(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mode is not None:
        os.chmod(path, mode)


class Server:
    """A gatehouse serving `root/www` on 127.0.0.1:<free port>, site "main".

    `limits` and `server` are extra TOML lines for [server.limits] and [server];
    `site` extra lines for the site table; `extra` is appended to the file.
    """

    def __init__(self, limits="", server="", site="", extra="", host="*"):
        self.tmp = tempfile.TemporaryDirectory(prefix="gh-e2e-")
        self.root = self.tmp.name
        self.www = os.path.join(self.root, "www")
        self.log_dir = os.path.join(self.root, "log")
        # As root, static files are opened as the anonymous account (gh-iusr):
        # it must be able to walk into the temporary folder (0700 by default).
        os.chmod(self.root, 0o711)
        os.makedirs(self.www)
        self.port = free_port()
        self.config = os.path.join(self.root, "gatehouse.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[server]
state_dir = "{self.root}/state"
log_dir = "{self.log_dir}"
threads = 2
{server}

[server.limits]
{limits}

[[pools]]
name = "main"

[[sites]]
name = "main"
bindings = ["http://127.0.0.1:{self.port}:{host}"]
app_root = "{self.www}"
physical_path = "{self.www}"
pool = "main"
{site}
{extra}
""")
        self.proc = None
        self.stderr_path = os.path.join(self.root, "stderr.log")

    def start(self, timeout=20, args=()):
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve", "--config", self.config, *args],
                                     stdout=self.stderr, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gatehouse exited with {self.proc.returncode}: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gatehouse did not start listening: " + self.output())

    def output(self):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=30):
        """SIGTERM, then the exit code (asserted 0 by callers via stop_ok)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("gatehouse did not stop within %ss" % timeout)

    def close(self):
        try:
            self.stop()
        finally:
            self.stderr.close()
            self.tmp.cleanup()

    def access_log_lines(self, site="main"):
        d = os.path.join(self.log_dir, site)
        lines = []
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                    lines += [l.rstrip("\n") for l in f]
        return lines

    # -- clients -------------------------------------------------------------

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def request(self, target="/", method="GET", headers=None, body=b"", host="localhost"):
        """One request on a new connection; returns a Response."""
        with self.connect() as s:
            s.sendall(build_request(target, method, headers, body, host))
            return read_response(s, head=(method == "HEAD"))

    def raw(self, data, timeout=10):
        """Sends raw bytes, returns the first Response."""
        with self.connect(timeout) as s:
            s.sendall(data)
            return read_response(s)


def build_request(target="/", method="GET", headers=None, body=b"", host="localhost", close=False):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:80]!r}>"


class Reader:
    """Buffered reader over a socket, so pipelined responses can be split."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def read_until(self, sep):
        while sep not in self.buf:
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head=False):
        raw = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = raw.split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = {}
        for line in lines[1:]:
            if line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        n = 0 if head or status in ("304",) else int(headers.get("content-length", "0"))
        return Response(int(status), reason, headers, self.read_exact(n))


def read_response(sock, head=False):
    return Reader(sock).response(head)


class ServerTest(unittest.TestCase):
    """Starts one server for the class; subclasses set `files` and options."""

    files = {}
    options = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(**cls.options)
        for rel, data in cls.files.items():
            write(os.path.join(cls.server.www, rel), data)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

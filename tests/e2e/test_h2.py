"""HTTP/2 over TLS (ALPN h2): curl --http2 and --http1.1 for static, PHP, a
POST body and a range; a body streamed without Content-Length (PHP gets
CONTENT_LENGTH); the access log's HTTP/2; and the attacks, each while another
client keeps being served: rapid reset (CVE-2023-44487), a CONTINUATION flood,
an HPACK bomb, a slow reader (Gatehouse's memory does not grow by the
response), a body over the limit; h2load with no failure."""
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
except ImportError:  # Debian's python3-h2, when python3 is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
import hpack
from hyperframe.frame import ContinuationFrame, HeadersFrame, SettingsFrame

import test_auth
import test_tls as tlsh
from ghtest import BIN, write
from test_identity import IdentityServer, log_fields, require_root

H2LOAD = shutil.which("h2load")
INDEX = b"<h1>over h2</h1>\n"


def tls_socket(port, rcvbuf=None, source=None):
    """An h2 TLS connection to the server, from loopback address `source` if given."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(10)
    if source:
        raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw, server_hostname="a.example")
    assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
    return s


class Client:
    """A python3-h2 client over one TLS connection."""

    def __init__(self, port, settings=None, rcvbuf=None, validate=True, source=None):
        self.s = tls_socket(port, rcvbuf, source)
        self.terminated = None  # the GOAWAY received, or "closed"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=validate,
            normalize_outbound_headers=validate))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.port = port
        self.responses = {}

    def flush(self):
        """False when the server closed (or reset) the connection."""
        data = self.conn.data_to_send()
        if self.terminated is not None or not data:
            return self.terminated is None
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.terminated = self.terminated or "closed"
            return False

    def headers(self, path, method="GET", extra=()):
        return [(":method", method), (":path", path), (":scheme", "https"),
                (":authority", f"127.0.0.1:{self.port}"), *extra]

    def read_events(self, ack=True):
        """One recv's events; False when the connection ended."""
        try:
            data = self.s.recv(65536)
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return False
        if not data:
            return False
        for e in self.conn.receive_data(data):
            r = self.responses.setdefault(getattr(e, "stream_id", 0), {"headers": {}, "body": b"", "done": False})
            if isinstance(e, h2.events.ResponseReceived):
                r["headers"] = dict(e.headers)
            elif isinstance(e, h2.events.DataReceived):
                r["body"] += e.data
                if ack:
                    self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                r["done"] = True
                r["reset"] = isinstance(e, h2.events.StreamReset)
            elif isinstance(e, h2.events.ConnectionTerminated):
                self.terminated = e
        self.flush()
        return True

    def wait(self, sid, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.responses.get(sid)
            if r and r["done"]:
                return r
            if not self.read_events():
                break
        raise AssertionError(f"stream {sid}: no complete response ({self.responses.get(sid)})")

    def get(self, path, extra=()):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, self.headers(path, extra=extra), end_stream=True)
        self.flush()
        return self.wait(sid)

    def post_streamed(self, path, payload):
        """A body in DATA frames with no content-length, within the flow-control windows."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, self.headers(path, "POST", [("content-type", "application/octet-stream")]))
        off, deadline = 0, time.monotonic() + 20
        while off < len(payload) and time.monotonic() < deadline:
            if self.responses.get(sid, {}).get("done"):
                return self.responses[sid]  # answered before the whole body was sent (413)
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.read_events()
                continue
            self.conn.send_data(sid, payload[off:off + window])
            off += window
            self.flush()
        self.conn.end_stream(sid)
        self.flush()
        return self.wait(sid)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def front_rss_kib(proc):
    """The largest VmRSS among gatehouse processes of the server's tree (the
    front that holds the connections, under the split)."""
    exe = os.path.realpath(BIN)
    tree, frontier = {proc.pid}, [proc.pid]
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    while frontier:
        p = frontier.pop()
        for c in children.get(p, []):
            if c not in tree:
                tree.add(c)
                frontier.append(c)
    best = 0
    for pid in tree:
        try:
            if os.path.realpath(f"/proc/{pid}/exe") != exe:
                continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best


class H2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="gh-h2-")
        cls.certs = {"a": tlsh.make_cert(cls.certs_dir, "a.example"), "b": tlsh.make_cert(cls.certs_dir, "b.example")}
        cls.server = tlsh.TlsServer(cls.certs, site_tls='hsts = "1h"\n',
                                    limits='body_timeout = "2s"\nmax_allowed_content_length = 1000000',
                                    extra="\n[server.http2]\nmax_resets_per_second = 50\n")
        www = cls.server.www
        write(os.path.join(www, "index.html"), INDEX)
        cls.big = os.urandom(300 * 1024)
        write(os.path.join(www, "big.zip"), cls.big)
        write(os.path.join(www, "huge.zip"), b"\0" * (48 << 20))
        write(os.path.join(www, "info.php"),
              "<?php echo 'HTTPS=', $_SERVER['HTTPS'] ?? '', ' PROTOCOL=', $_SERVER['SERVER_PROTOCOL'], "
              "' COOKIE=', $_SERVER['HTTP_COOKIE'] ?? '';\n")
        write(os.path.join(www, "post.php"),
              "<?php $b = file_get_contents('php://input'); echo strlen($b), ' ', md5($b), ' ', "
              "$_SERVER['CONTENT_LENGTH'];\n")
        write(os.path.join(www, "hello.php"), "<?php echo 'hello';\n")
        write(os.path.join(www, "slow.php"), "<?php usleep(700000); echo str_repeat('s', 200000);\n")
        cls.server.start()
        cls.base = f"https://127.0.0.1:{cls.server.port}"

    # The same stop and clean-up as the HTTP/1.1 TLS tests.
    tearDownClass = classmethod(tlsh.TlsTest.tearDownClass.__func__)

    def assert_served(self):
        """Another client is served now, over h2."""
        status, headers, body = tlsh.curl("--http2", self.base + "/index.html")
        self.assertEqual((status, body), (200, INDEX))
        self.assertTrue(headers.startswith("HTTP/2 "), headers)

    # -- the same answers over both protocols ---------------------------------

    def test_static_php_range_and_post_over_both(self):
        payload = os.urandom(200 * 1024)
        with tempfile.NamedTemporaryFile() as f:
            f.write(payload)
            f.flush()
            for flag, version, protocol in (("--http2", "HTTP/2 ", "HTTP/2.0"), ("--http1.1", "HTTP/1.1 ", "HTTP/1.1")):
                status, headers, body = tlsh.curl(flag, self.base + "/index.html")
                self.assertEqual((status, body), (200, INDEX))
                self.assertTrue(headers.startswith(version), headers)
                self.assertIn("strict-transport-security: max-age=3600", headers.lower())
                status, _, body = tlsh.curl(flag, self.base + "/big.zip")
                self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(self.big).digest())
                status, headers, body = tlsh.curl(flag, "-r", "70000-70099", self.base + "/big.zip")
                self.assertEqual(status, 206, headers)
                self.assertEqual(body, self.big[70000:70100])
                status, _, body = tlsh.curl(flag, self.base + "/info.php")
                self.assertEqual((status, body.decode()), (200, f"HTTPS=on PROTOCOL={protocol} COOKIE="))
                status, _, body = tlsh.curl(flag, "--data-binary", "@" + f.name, "-H",
                                            "Content-Type: application/octet-stream", self.base + "/post.php")
                self.assertEqual(body.decode(), f"{len(payload)} {hashlib.md5(payload).hexdigest()} {len(payload)}")

    def test_streamed_body_without_content_length_reaches_php_with_one(self):
        payload = os.urandom(150 * 1024)  # more than one stream window (64 KiB)
        c = Client(self.server.port)
        try:
            r = c.post_streamed("/post.php", payload)
            self.assertEqual(r["headers"].get(":status"), "200", r)
            self.assertEqual(r["body"].decode(), f"{len(payload)} {hashlib.md5(payload).hexdigest()} {len(payload)}")
            # Split cookies are joined again for PHP (RFC 9113 8.2.3).
            r = c.get("/info.php", [("cookie", "a=1"), ("cookie", "b=2")])
            self.assertTrue(r["body"].decode().endswith("COOKIE=a=1; b=2"), r)
        finally:
            c.close()

    def test_body_over_the_limit_gets_413(self):
        c = Client(self.server.port)
        try:
            r = c.post_streamed("/post.php", b"x" * 1_100_000)  # max_allowed_content_length = 1000000
            self.assertEqual(r["headers"].get(":status"), "413", r)
            self.assertEqual(c.get("/index.html")["body"], INDEX)  # the connection goes on
        finally:
            c.close()

    def test_access_log_says_http2(self):
        tlsh.curl("--http2", "-A", "h2-log-probe", self.base + "/index.html")
        deadline, hits = time.monotonic() + 5, []
        while time.monotonic() < deadline and not hits:
            hits = [l for l in self.server.access_log_lines() if "h2-log-probe" in l]
            time.sleep(0.2)
        self.assertTrue(hits)
        self.assertEqual(hits[0].split(" ")[15:], ["HTTP/2", "TLSv1.3"])

    # -- attacks ----------------------------------------------------------------

    def test_rapid_reset_gets_goaway(self):
        c = Client(self.server.port)
        other = Client(self.server.port)  # served while the attack goes on
        sent = 0
        try:
            for i in range(1000):  # bounded: the limit is 50 a second
                if i == 20:
                    self.assertEqual(other.get("/index.html")["body"], INDEX)
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, c.headers("/hello.php"), end_stream=True)
                c.conn.reset_stream(sid)
                if not c.flush():
                    break
                sent += 1
            deadline = time.monotonic() + 10
            while c.terminated is None and time.monotonic() < deadline and c.read_events(ack=False):
                pass
            self.assertIsInstance(c.terminated, h2.events.ConnectionTerminated, "no GOAWAY")
            self.assertEqual(c.terminated.error_code, 11)  # ENHANCE_YOUR_CALM
            # ... and disconnected: the socket reaches its end.
            c.s.settimeout(5)
            ended = False
            try:
                for _ in range(1000):
                    if not c.s.recv(65536):
                        ended = True
                        break
            except (ConnectionResetError, ssl.SSLError):
                ended = True
            self.assertTrue(ended)
            self.assertEqual(other.get("/hello.php")["body"], b"hello")
        finally:
            c.close()
            other.close()
        self.assert_served()
        self.assertIn("rapid reset", self.server.output())

    def test_provoked_resets_count_too(self):
        # "MadeYouReset": the client makes the server reset each stream (a
        # malformed request: a connection-specific field is a stream error)
        # instead of resetting it itself.
        c = Client(self.server.port, validate=False)
        try:
            for _ in range(400):  # bounded: the limit is 50 a second
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, c.headers("/index.html", extra=[("connection", "close")]), end_stream=True)
                if not c.flush():
                    break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and c.read_events(ack=False) and c.terminated is None:
                pass
            self.assertIsInstance(c.terminated, h2.events.ConnectionTerminated, "no GOAWAY")
            self.assertEqual(c.terminated.error_code, 11)  # ENHANCE_YOUR_CALM
        finally:
            c.close()
        self.assert_served()

    def test_continuation_flood_is_cut(self):
        s = tls_socket(self.server.port)
        sent, closed = 0, False
        try:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
            block = hpack.Encoder().encode([(":method", "GET"), (":path", "/"), (":scheme", "https"),
                                            (":authority", "a.example")])
            first = HeadersFrame(1)
            first.data = block
            first.flags.add("END_STREAM")
            s.sendall(first.serialize())  # no END_HEADERS: CONTINUATION frames follow
            for i in range(20):  # more than max_continuations (8): the connection must end here
                if i == 4:
                    self.assert_served()  # meanwhile
                frame = ContinuationFrame(1)
                frame.data = b"\x00\x03x-a\x7f\x49" + b"a" * 200  # one whole field each: nothing else stops it
                try:
                    s.sendall(frame.serialize())
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
                    closed = True
                    break
                sent += 1
            if not closed:
                s.settimeout(5)
                try:
                    while s.recv(65536):
                        pass
                    closed = True
                except (ConnectionResetError, ssl.SSLError):
                    closed = True
                except socket.timeout:
                    pass
            self.assertTrue(closed, f"still open after {sent} CONTINUATION frames")
        finally:
            s.close()
        self.assert_served()

    def test_hpack_bomb_gets_431_and_the_connection_goes_on(self):
        # One 4000-byte field, 200 times: the HPACK encoder sends it once into
        # the dynamic table and then one byte per copy, ~4 KiB on the wire for
        # ~800 KiB decoded. Decoding stops at max_request_headers (16 KiB).
        c = Client(self.server.port)
        try:
            r = c.get("/index.html", [("x-b", "v" * 4000)] * 200)
            self.assertEqual(r["headers"].get(":status"), "431", r)
            self.assertEqual(c.get("/index.html")["body"], INDEX)  # the connection goes on
        finally:
            c.close()
        self.assert_served()

    def test_reset_and_hang_up_while_php_runs(self):
        # The client gives up while PHP works: by RST_STREAM, then by closing
        # the connection. The handler finishes its own operation first; the
        # server goes on serving PHP on the same and on other connections.
        c = Client(self.server.port)
        try:
            sid = c.conn.get_next_available_stream_id()
            c.conn.send_headers(sid, c.headers("/slow.php"), end_stream=True)
            c.flush()
            time.sleep(0.2)
            c.conn.reset_stream(sid)
            c.flush()
            self.assertEqual(c.get("/hello.php")["body"], b"hello")  # the same connection
            for _ in range(3):
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, c.headers("/slow.php"), end_stream=True)
            c.flush()
            time.sleep(0.2)
        finally:
            c.close()  # three PHP requests in flight
        time.sleep(1.5)
        status, _, body = tlsh.curl("--http2", self.base + "/hello.php")
        self.assertEqual((status, body), (200, b"hello"))
        self.assertEqual(self.server.proc.poll(), None, self.server.output())

    def test_slow_reader_is_not_buffered(self):
        before = front_rss_kib(self.server.proc)
        # A window that lets Gatehouse send everything, and a reader that never reads:
        # only the socket holds it back.
        c = Client(self.server.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2 ** 31 - 1},
                   rcvbuf=4096)
        try:
            c.conn.increment_flow_control_window(2 ** 30)
            sid = c.conn.get_next_available_stream_id()
            c.conn.send_headers(sid, c.headers("/huge.zip"), end_stream=True)
            c.flush()
            c.s.recv(1024)
            time.sleep(1)
            self.assert_served()  # meanwhile
            grown = front_rss_kib(self.server.proc) - before
            self.assertLess(grown, 16 * 1024, f"RSS grew by {grown} KiB for a 48 MiB response")
            # And the stalled connection is cut after body_timeout (2s).
            time.sleep(4)
            got, deadline = 0, time.monotonic() + 10
            try:
                while time.monotonic() < deadline:
                    chunk = c.s.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
            except (ConnectionResetError, ssl.SSLError, socket.timeout):
                pass
            self.assertLess(got, 16 << 20)
        finally:
            c.close()
        self.assert_served()

    def test_closed_window_and_missing_body_time_out(self):
        # A window the client never opens, and a GET whose promised body never
        # comes: each stream is reset after body_timeout (2s), not held forever.
        c = Client(self.server.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        try:
            stalled = c.conn.get_next_available_stream_id()
            c.conn.send_headers(stalled, c.headers("/big.zip"), end_stream=True)
            waiting = c.conn.get_next_available_stream_id()
            c.conn.send_headers(waiting, c.headers("/index.html"), end_stream=False)
            c.flush()
            started = time.monotonic()
            self.assertTrue(c.wait(stalled, timeout=8)["reset"])
            self.assertTrue(c.wait(waiting, timeout=8)["reset"])
            self.assertLess(time.monotonic() - started, 7)
        finally:
            c.close()
        self.assert_served()

    def test_small_window_reader_is_served_slowly(self):
        # The stream window (16 KiB) opens only as this client reads: Gatehouse
        # waits for WINDOW_UPDATE, and the response arrives whole.
        c = Client(self.server.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 16384})
        try:
            r = c.get("/big.zip")
            self.assertEqual(hashlib.sha256(r["body"]).digest(), hashlib.sha256(self.big).digest())
            # PHP's output too: each write completes (WriteDone) as nghttp2 takes it.
            r = c.get("/slow.php")
            self.assertEqual(r["body"], b"s" * 200000)
        finally:
            c.close()

    @unittest.skipUnless(H2LOAD or os.environ.get("CI") == "true", "h2load missing (nghttp2-client)")
    def test_h2load_without_failure(self):
        for path, n in (("/index.html", 400), ("/hello.php", 200)):
            r = subprocess.run([H2LOAD, "-n", str(n), "-c", "4", "-m", "10", self.base + path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(f"requests: {n} total, {n} started, {n} done, {n} succeeded, 0 failed", r.stdout)
            self.assertIn("status codes: %d 2xx" % n, r.stdout)


class H2OffTest(unittest.TestCase):
    """[server.tls] http2 = false: ALPN offers only http/1.1."""

    def test_alpn_without_h2(self):
        with tempfile.TemporaryDirectory(prefix="gh-h2off-") as certs_dir:
            certs = {"a": tlsh.make_cert(certs_dir, "a.example"), "b": tlsh.make_cert(certs_dir, "b.example")}
            server = tlsh.TlsServer(certs, server_tls="http2 = false")
            try:
                write(os.path.join(server.www, "index.html"), INDEX)
                server.start()
                status, headers, body = tlsh.curl("--http2", f"https://127.0.0.1:{server.port}/index.html")
                self.assertEqual((status, body), (200, INDEX))
                self.assertTrue(headers.startswith("HTTP/1.1 "), headers)
                self.assertEqual(server.stop(), 0, server.output())
            finally:
                server.close()


class H2AuthTest(test_auth.AuthServerTest):
    """Basic authentication over HTTP/2: the same gate, with its asynchronous
    PAM check, as HTTP/1.1 (http/pipeline.cpp), on an https binding."""

    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.certs_dir = tempfile.mkdtemp(prefix="gh-h2auth-")
        crt, key = tlsh.make_cert(cls.certs_dir, "a.example")
        cls.server = IdentityServer(site=cls.site_config())
        with open(cls.server.config) as f:
            text = f.read()
        text = re.sub(r'bindings = \["http://127\.0\.0\.1:(\d+):\*"\]',
                      lambda m: f'bindings = [{{ url = "https://127.0.0.1:{m.group(1)}:*", certificate = "{crt}", '
                                f'key = "{key}" }}]', text, count=1)
        with open(cls.server.config, "w") as f:
            f.write(text)
        try:
            cls.prepare(cls.server)
        except BaseException:
            cls.server.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs_dir, ignore_errors=True)

    def test_password_checked_over_h2(self):
        base = f"https://127.0.0.1:{self.server.port}"
        status, headers, body = tlsh.curl("--http2", "-u", f"{self.user}:{self.password}", base + "/mine.txt")
        self.assertTrue(headers.startswith("HTTP/2 "), headers)
        self.assertEqual((status, body), (200, b"the user's own file"), self.server.output())
        fields = log_fields(self.server.wait_log("/mine.txt")[-1])
        self.assertEqual((fields["user"], fields["status"]), (self.user, "200"))
        status, headers, body = tlsh.curl("--http2", "-u", f"{self.user}:wrong", base + "/mine.txt")
        self.assertEqual(status, 401)
        self.assertIn(b"401.1", body)
        self.assertIn(f'www-authenticate: Basic realm="{test_auth.REALM}"', headers)
        # A success clears the failures, so the throttle does not slow other tests.
        status, _, _ = tlsh.curl("--http2", "-u", f"{self.user}:{self.password}", base + "/mine.txt")
        self.assertEqual(status, 200)
        status, _, _ = tlsh.curl("--http2", base + "/mine.txt")
        self.assertEqual(status, 401)


if __name__ == "__main__":
    unittest.main()

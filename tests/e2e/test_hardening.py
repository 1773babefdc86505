"""Malformed and hostile requests: each gets the right status and a closed
connection while another client on its own connection keeps being served;
slow clients are cut by the header timeout."""
import socket
import threading
import time
import unittest

from ghtest import ServerTest, Reader, build_request


class Bystander:
    """A client that keeps fetching a file on one keep-alive connection."""

    def __init__(self, server):
        self.sock = server.connect()
        self.reader = Reader(self.sock)
        self.ok = 0
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        try:
            while not self.stop.is_set():
                self.sock.sendall(build_request("/ok.txt"))
                r = self.reader.response()
                if r.status != 200 or r.body != b"fine":
                    self.errors.append(r)
                self.ok += 1
        except Exception as e:  # noqa: BLE001 - any failure is the test's finding
            self.errors.append(e)

    def finish(self):
        self.stop.set()
        self.thread.join(10)
        self.sock.close()
        return self.ok, self.errors


class Malformed(ServerTest):
    files = {"ok.txt": "fine"}
    options = {"limits": """
max_url_length = 1000
max_query_string = 500
max_request_headers = 2000
max_allowed_content_length = 10000
header_timeout = "2s"
keepalive_timeout = "5s"
body_timeout = "2s"
"""}

    def check(self, data, status, substatus=None, linger_send=None):
        bystander = Bystander(self.server)
        time.sleep(0.05)
        before = bystander.ok
        with self.server.connect() as s:
            try:
                s.sendall(data)
                if linger_send:
                    s.sendall(linger_send)
            except OSError:
                pass  # the server may answer and close before it has read everything
            r = Reader(s).response()
            self.assertEqual(r.status, status, data[:80])
            self.assertEqual(r.header("connection"), "close")
            if substatus is not None:
                self.assertIn(f"{status}.{substatus}".encode(), r.body)
            s.settimeout(5)
            rest = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
            except ConnectionResetError:
                pass
            self.assertEqual(rest, b"")  # closed after the response
        time.sleep(0.1)
        ok, errors = bystander.finish()
        self.assertEqual(errors, [])
        self.assertGreater(ok, before)

    def test_bad_request_line(self):
        self.check(b"GARBAGE\r\n\r\n", 400)
        self.check(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400)

    def test_oversized_header(self):
        self.check(build_request("/ok.txt", headers={"X-Big": "a" * 3000}), 431)
        self.check(build_request("/ok.txt", headers={f"X-{i}": "a" * 50 for i in range(100)}), 431)

    def test_bad_percent_encoding(self):
        self.check(build_request("/ok%zz.txt"), 400)
        self.check(build_request("/ok%2"), 400)

    def test_nul_and_control_characters(self):
        self.check(build_request("/ok%00.txt"), 400)
        self.check(build_request("/a%0d%0aX:%20y"), 400)

    def test_traversal_backslash_double_encoding(self):
        self.check(build_request("/../etc/passwd"), 400)
        self.check(build_request("/%2e%2e/%2e%2e/etc/passwd"), 400)
        self.check(build_request("/..%5c..%5cetc"), 400)
        self.check(build_request("/%252e%252e/etc/passwd"), 404, 11)

    def test_url_and_query_too_long(self):
        self.check(build_request("/" + "a" * 1500), 414)
        self.check(build_request("/ok.txt?" + "q" * 600), 414)
        self.check(build_request("/" + "a" * 50000), 414)

    def test_unknown_host_and_missing_host(self):
        self.check(b"GET /ok.txt HTTP/1.1\r\n\r\n", 400)

    def test_body_too_large(self):
        self.check(build_request("/ok.txt", "POST", headers={"Content-Length": "20000"}), 413, 13,
                   linger_send=b"x" * 20000)
        chunks = b"".join(b"1000\r\n" + b"y" * 4096 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"
        self.check(build_request("/ok.txt", "POST", headers={"Transfer-Encoding": "chunked"}) + chunks, 413, 13)

    def test_small_body_is_drained_and_connection_kept(self):
        with self.server.connect() as s:
            reader = Reader(s)
            s.sendall(build_request("/ok.txt", "POST", body=b"z" * 100))
            self.assertEqual(reader.response().status, 405)
            s.sendall(build_request("/ok.txt"))
            self.assertEqual(reader.response().body, b"fine")

    def test_body_arriving_later_does_not_block_others(self):
        bystander = Bystander(self.server)
        with self.server.connect() as s:
            reader = Reader(s)
            s.sendall(build_request("/ok.txt", "POST", headers={"Content-Length": "5"}))
            time.sleep(0.5)
            s.sendall(b"hel")
            time.sleep(0.2)
            s.sendall(b"lo")
            self.assertEqual(reader.response().status, 405)
        ok, errors = bystander.finish()
        self.assertEqual(errors, [])
        self.assertGreater(ok, 10)

    def test_expect_100_continue(self):
        with self.server.connect() as s:
            reader = Reader(s)
            s.sendall(build_request("/ok.txt", "POST", headers={"Content-Length": "5", "Expect": "100-continue"}))
            self.assertEqual(reader.response().status, 100)
            s.sendall(b"hello")
            self.assertEqual(reader.response().status, 405)
            s.sendall(build_request("/ok.txt"))
            self.assertEqual(reader.response().body, b"fine")

    def test_slowloris_cut_at_header_timeout(self):
        bystander = Bystander(self.server)
        with self.server.connect() as s:
            start = time.monotonic()
            s.sendall(b"GET /ok.txt HTTP/1.1\r\n")
            closed_after = None
            try:
                for i in range(20):
                    time.sleep(0.5)
                    s.sendall(f"X-Slow-{i}: a\r\n".encode())
            except OSError:
                closed_after = time.monotonic() - start
            if closed_after is None:
                s.settimeout(5)
                try:
                    self.assertEqual(s.recv(100), b"")
                except ConnectionResetError:
                    pass
                closed_after = time.monotonic() - start
        self.assertLess(closed_after, 4.5)
        ok, errors = bystander.finish()
        self.assertEqual(errors, [])
        self.assertGreater(ok, 0)

    def test_idle_new_connection_cut_at_header_timeout(self):
        with self.server.connect() as s:
            start = time.monotonic()
            s.settimeout(10)
            self.assertEqual(s.recv(100), b"")
            self.assertLess(time.monotonic() - start, 4)


if __name__ == "__main__":
    unittest.main()

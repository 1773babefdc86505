"""Hostile clients against a running server (issue 16 holes 1, 5, 6, 7 and
the framing corrections of issue 9): absolute-form targets, duplicate Host,
request smuggling framings, obs-fold, oversized fields, PHP's final 1xx
status, chunked bodies, and slow POSTs that must not take a pool down."""
import os
import socket
import threading
import time
import unittest

from ghtest import Reader, build_request, write
from test_php import PhpServer, read_raw_response

FILES = {
    "host.php": "<?php echo $_SERVER['HTTP_HOST'], '|', $_SERVER['SERVER_NAME'];",
    "status.php": "<?php header('Status: ' . $_GET['s']); echo 'body';",
    "len.php": "<?php echo $_SERVER['CONTENT_LENGTH'], ' ', strlen(file_get_contents('php://input'));",
    "hello.php": "<?php echo 'hello';",
    "a.txt": "static a",
}


class HostileServer(PhpServer):
    """Two sites on one port: main (a.localhost) and b (b.localhost), one pool."""

    def __init__(self, **kw):
        super().__init__(host="a.localhost", fastcgi="max_instances = 4\n",
                         php_ini="cgi.fix_pathinfo = 0\n", **kw)
        self.www_b = os.path.join(self.root, "www-b")
        os.makedirs(self.www_b)
        with open(self.config, "a") as f:
            f.write(f'\n[[sites]]\nname = "b"\nbindings = ["http://127.0.0.1:{self.port}:b.localhost"]\n'
                    f'app_root = "{self.www_b}"\nphysical_path = "{self.www_b}"\npool = "main"\n')


def exchange(port, data, timeout=10):
    """Sends raw bytes; returns every byte until the server closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out, True
                out += chunk
        except socket.timeout:
            return out, False


def get(port, target, host="a.localhost"):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(build_request(target, host=host))
        return read_raw_response(Reader(s))


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HostileServer()
        for rel, data in FILES.items():
            write(os.path.join(cls.server.www, rel), data)
            write(os.path.join(cls.server.www_b, rel), data.replace("static a", "static b"))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def status_line(self, data):
        out, _ = exchange(self.server.port, data, timeout=5)
        return out.split(b"\r\n", 1)[0], out

    # -- hole 1: absolute-form and Host ---------------------------------------

    def test_absolute_form_routes_by_authority_and_php_sees_it(self):
        line, out = self.status_line(b"GET http://b.localhost/host.php HTTP/1.1\r\nHost: evil.example\r\n"
                                     b"Connection: close\r\n\r\n")
        self.assertEqual(line, b"HTTP/1.1 200 OK")
        self.assertTrue(out.endswith(b"b.localhost|b.localhost"), out)

    def test_unknown_host_is_still_refused(self):
        line, _ = self.status_line(b"GET /host.php HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        self.assertEqual(line, b"HTTP/1.1 400 Bad Request")

    def test_duplicate_host_is_400(self):
        line, out = self.status_line(b"GET /host.php HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n")
        self.assertEqual(line, b"HTTP/1.1 400 Bad Request")
        self.assertIn(b"more than one Host", out)

    # -- hole 7: smuggling framings -------------------------------------------

    def smuggle(self, framing):
        inner = b"GET /a.txt HTTP/1.1\r\nHost: b.localhost\r\n\r\n"
        data = (b"POST /a.txt HTTP/1.1\r\nHost: a.localhost\r\n" + framing + b"\r\n" + inner)
        out, closed = exchange(self.server.port, data, timeout=5)
        return out, closed

    def test_transfer_encoding_other_than_chunked_is_501_and_closes(self):
        for te in (b"identity", b"chunked, gzip", b"gzip"):
            out, closed = self.smuggle(b"Transfer-Encoding: " + te + b"\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 501 "), (te, out[:60]))
            self.assertTrue(closed, te)
            self.assertNotIn(b"static b", out, te)  # the smuggled request never ran
            self.assertEqual(out.count(b"HTTP/1.1 "), 1, te)

    def test_transfer_encoding_with_content_length_is_400_and_closes(self):
        for te in (b"chunked", b"identity"):
            out, closed = self.smuggle(b"Transfer-Encoding: " + te + b"\r\nContent-Length: 5\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 400 "), (te, out[:60]))
            self.assertTrue(closed, te)
            self.assertNotIn(b"static b", out, te)

    # -- issue 9 item 4: oversized field, obs-fold ----------------------------

    def test_one_huge_header_field_is_431(self):
        line, _ = self.status_line(b"GET /a.txt HTTP/1.1\r\nHost: a.localhost\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
        self.assertEqual(line, b"HTTP/1.1 431 Request Header Fields Too Large")

    def test_obs_fold_is_400(self):
        line, out = self.status_line(b"GET /a.txt HTTP/1.1\r\nHost: a.localhost\r\nX-A: a\r\n  folded\r\n\r\n")
        self.assertEqual(line, b"HTTP/1.1 400 Bad Request")
        self.assertIn(b"obs-fold", out)

    # -- hole 6: PHP's final status -------------------------------------------

    def test_php_1xx_or_out_of_range_status_is_502_and_the_connection_stays_in_sync(self):
        for s in ("100", "101", "999"):
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
                sock.sendall(f"GET /status.php?s={s} HTTP/1.1\r\nHost: a.localhost\r\n\r\n"
                             f"GET /hello.php HTTP/1.1\r\nHost: a.localhost\r\n\r\n".encode())
                reader = Reader(sock)
                first = read_raw_response(reader)
                second = read_raw_response(reader)
            self.assertEqual(first[0], 502, s)
            self.assertEqual((second[0], second[2]), (200, b"hello"), s)
        self.assertIn("PHP sent status 999 as its final response", self.server.output())

    def test_php_valid_statuses_pass(self):
        status, _, body = get(self.server.port, "/status.php?s=299")
        self.assertEqual((status, body), (299, b"body"))

    # -- issue 13 item 2: chunked bodies for PHP ------------------------------

    def test_chunked_body_reaches_php_with_a_content_length(self):
        body = b"x" * 100000
        chunks = b"".join(b"%x\r\n" % 1000 + body[i:i + 1000] + b"\r\n" for i in range(0, len(body), 1000))
        data = (b"POST /len.php HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
                b"0\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(data)
            status, _, out = read_raw_response(Reader(sock))
        self.assertEqual((status, out), (200, b"100000 100000"))

    # -- hole 5: slow POSTs hold connections, never workers -------------------

    def test_fifty_trickling_posts_do_not_stall_the_pool(self):
        socks = []
        try:
            for _ in range(50):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                s.sendall(b"POST /len.php HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 100000\r\n\r\n" +
                          b"a" * 10)
                socks.append(s)
            stop = threading.Event()

            def trickle():
                while not stop.wait(0.2):
                    for s in socks:
                        try:
                            s.sendall(b"b")
                        except OSError:
                            pass
            t = threading.Thread(target=trickle)
            t.start()
            try:
                worst = 0.0
                for _ in range(20):
                    began = time.monotonic()
                    status, _, body = get(self.server.port, "/hello.php")
                    worst = max(worst, time.monotonic() - began)
                    self.assertEqual((status, body), (200, b"hello"))
                self.assertLess(worst, 0.1, f"slowest answer {worst:.3f}s while 50 POSTs trickle")
            finally:
                stop.set()
                t.join()
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()

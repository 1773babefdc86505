"""Behind a load balancer: a raw PROXY protocol v2 header and X-Forwarded-For /
-Proto, believed only from [server] trusted_proxies. The client address the
balancer reports reaches PHP (REMOTE_ADDR, REMOTE_PORT, HTTPS) and the access
log; a header from any other peer is refused (PROXY) or ignored (X-Forwarded-*).
Every peer here is a real loopback socket: 127.0.0.1 and 127.0.0.2 are two
machines as far as the server can tell."""
import json
import os
import socket
import struct
import time
import unittest

from ghtest import Reader, build_request
from test_auth import AuthServerTest, basic
from test_identity import IdentityServer, require_root
from test_php import PhpServer

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PHP = b"""<?php
header('Content-Type: application/json');
echo json_encode(['addr' => $_SERVER['REMOTE_ADDR'], 'port' => $_SERVER['REMOTE_PORT'],
                  'https' => $_SERVER['HTTPS'] ?? '', 'scheme' => $_SERVER['REQUEST_SCHEME'] ?? '',
                  'xff' => $_SERVER['HTTP_X_FORWARDED_FOR'] ?? '']);
"""


def proxy_v2(src, sport, dst="192.0.2.1", dport=80, command=0x21):
    """HAProxy's send-proxy-v2 header for a TCP/IPv4 client."""
    payload = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return SIGNATURE + bytes([command, 0x11]) + struct.pack("!H", len(payload)) + payload


def proxy_v2_local():
    return SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])


class ForwardingServerTest(unittest.TestCase):
    trusted = "127.0.0.1"
    site = "proxy_protocol = true\nforwarded_headers = true\n"

    @classmethod
    def setUpClass(cls):
        cls.server = PhpServer(server=f'trusted_proxies = ["{cls.trusted}"]', site=cls.site)
        with open(os.path.join(cls.server.www, "ip.php"), "wb") as f:
            f.write(PHP)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def connect_from(self, source):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        s.bind((source, 0))
        s.connect(("127.0.0.1", self.server.port))
        return s

    def ask(self, source="127.0.0.1", prefix=b"", headers=None):
        """PHP's view of the client, through a connection from `source`."""
        with self.connect_from(source) as s:
            s.sendall(prefix + build_request("/ip.php", headers=headers))
            r = Reader(s).response()
        self.assertEqual(r.status, 200, r.body)
        return json.loads(r.body)

    def refused(self, source, data):
        """True when the server closes the connection without an answer."""
        with self.connect_from(source) as s:
            try:
                s.sendall(data)
                return s.recv(100) == b""
            except ConnectionResetError:
                return True

    def log_has_client(self, ip, stem="/ip.php", wait=3.0):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:  # the access log is flushed once a second
            for line in self.server.access_log_lines():
                f = line.split(" ")
                if not line.startswith("#") and len(f) > 8 and f[4] == stem and f[8] == ip:
                    return True
            time.sleep(0.2)
        return False


class TrustedBalancer(ForwardingServerTest):
    """trusted_proxies = ["127.0.0.1"]: this test's connections are the balancer's."""

    def test_proxy_header_gives_php_the_client(self):
        seen = self.ask(prefix=proxy_v2("203.0.113.7", 51000))
        self.assertEqual(seen["addr"], "203.0.113.7")
        self.assertEqual(seen["port"], "51000")

    def test_proxy_header_gives_the_access_log_the_client(self):
        self.ask(prefix=proxy_v2("198.51.100.23", 40000))
        self.assertTrue(self.log_has_client("198.51.100.23"), self.server.access_log_lines())

    def test_header_split_over_many_packets(self):
        data = proxy_v2("203.0.113.9", 1234) + build_request("/ip.php")
        with self.connect_from("127.0.0.1") as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(0, 30):
                s.sendall(data[i:i + 1])
                time.sleep(0.005)
            s.sendall(data[30:])
            r = Reader(s).response()
        self.assertEqual(json.loads(r.body)["addr"], "203.0.113.9")

    def test_keep_alive_keeps_the_client(self):
        with self.connect_from("127.0.0.1") as s:
            s.sendall(proxy_v2("203.0.113.10", 2222) + build_request("/ip.php"))
            reader = Reader(s)
            first = json.loads(reader.response().body)
            s.sendall(build_request("/ip.php"))
            second = json.loads(reader.response().body)
        self.assertEqual(first["addr"], "203.0.113.10")
        self.assertEqual(second["addr"], "203.0.113.10")

    def test_local_command_keeps_the_balancer_address(self):
        seen = self.ask(prefix=proxy_v2_local())  # HAProxy's health checks
        self.assertEqual(seen["addr"], "127.0.0.1")

    def test_no_header_is_refused(self):
        self.assertTrue(self.refused("127.0.0.1", build_request("/ip.php")))

    def test_version_one_is_refused(self):
        self.assertTrue(self.refused("127.0.0.1", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + build_request("/ip.php")))

    def test_oversized_header_is_refused(self):
        self.assertTrue(self.refused("127.0.0.1", SIGNATURE + b"\x21\x11\xff\xff" + b"x" * 100))

    def test_forwarded_headers_from_the_balancer(self):
        seen = self.ask(prefix=proxy_v2("10.1.1.1", 5000),
                        headers={"X-Forwarded-For": "1.1.1.1, 192.0.2.44", "X-Forwarded-Proto": "https"})
        self.assertEqual(seen["addr"], "192.0.2.44")  # the rightmost entry a trusted balancer appended
        self.assertEqual(seen["https"], "on")
        self.assertEqual(seen["scheme"], "https")

    def test_untrusted_peer_is_closed_and_logged(self):
        # Refusals are logged at most once a second per thread: other tests' may
        # have taken this second's line, so try again until one is logged.
        deadline = time.monotonic() + 5
        while True:
            self.assertTrue(self.refused("127.0.0.2", proxy_v2("203.0.113.7", 51000) + build_request("/ip.php")))
            if "connection from 127.0.0.2" in self.server.output() or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertIn("connection from 127.0.0.2", self.server.output())
        self.assertIn("only from [server] trusted_proxies", self.server.output())


class OtherBalancer(ForwardingServerTest):
    """trusted_proxies = ["127.0.0.2"]: a raw PROXY header from 127.0.0.1 is an attack."""

    trusted = "127.0.0.2"

    def test_proxy_header_from_untrusted_peer_is_refused(self):
        self.assertTrue(self.refused("127.0.0.1", proxy_v2("203.0.113.7", 51000) + build_request("/ip.php")))

    def test_the_trusted_peer_is_believed(self):
        seen = self.ask(source="127.0.0.2", prefix=proxy_v2("203.0.113.8", 4242))
        self.assertEqual(seen["addr"], "203.0.113.8")


class HeadersOnly(ForwardingServerTest):
    """forwarded_headers without PROXY, trusting 127.0.0.2 only."""

    trusted = "127.0.0.2"
    site = "forwarded_headers = true\n"

    def test_spoofed_headers_are_ignored(self):
        seen = self.ask(source="127.0.0.1", headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
        self.assertEqual(seen["addr"], "127.0.0.1")
        self.assertEqual(seen["https"], "")
        self.assertEqual(seen["scheme"], "http")
        self.assertEqual(seen["xff"], "6.6.6.6")  # passed on as a header, never as the client
        self.assertTrue(self.log_has_client("127.0.0.1"))

    def test_trusted_peer_headers_are_believed(self):
        seen = self.ask(source="127.0.0.2", headers={"X-Forwarded-For": "198.51.100.5", "X-Forwarded-Proto": "https"})
        self.assertEqual(seen["addr"], "198.51.100.5")
        self.assertEqual(seen["port"], "0")
        self.assertEqual(seen["https"], "on")
        self.assertTrue(self.log_has_client("198.51.100.5"))

    def test_keep_alive_does_not_carry_a_client_over(self):
        with self.connect_from("127.0.0.2") as s:
            reader = Reader(s)
            s.sendall(build_request("/ip.php", headers={"X-Forwarded-For": "198.51.100.6"}))
            first = json.loads(reader.response().body)
            s.sendall(build_request("/ip.php"))
            second = json.loads(reader.response().body)
        self.assertEqual(first["addr"], "198.51.100.6")
        self.assertEqual(second["addr"], "127.0.0.2")

    def test_bad_request_is_not_logged_as_the_previous_client(self):
        # A balancer reuses its connection for another client, whose request
        # is malformed: the 400 is the balancer's, not the last client's.
        with self.connect_from("127.0.0.2") as s:
            reader = Reader(s)
            s.sendall(build_request("/ip.php", headers={"X-Forwarded-For": "198.51.100.77"}))
            self.assertEqual(json.loads(reader.response().body)["addr"], "198.51.100.77")
            s.sendall(b"GET /malformed-after-forwarded HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
            self.assertEqual(reader.response().status, 400)
        deadline, lines = time.monotonic() + 5, []
        while not lines and time.monotonic() < deadline:  # flushed once a second
            lines = [l for l in self.server.access_log_lines("_httperr") if "/malformed-after-forwarded" in l]
            time.sleep(0.2)
        self.assertEqual([l.split(" ")[8] for l in lines], ["127.0.0.2"])

    def test_plain_connection_needs_no_proxy_header(self):
        self.assertEqual(self.ask(source="127.0.0.1")["addr"], "127.0.0.1")


class OffByDefault(ForwardingServerTest):
    """trusted_proxies set, but the site opts into nothing: headers are never believed."""

    site = ""

    def test_forwarded_headers_are_ignored_by_default(self):
        seen = self.ask(headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
        self.assertEqual(seen["addr"], "127.0.0.1")
        self.assertEqual(seen["https"], "")


class ThrottleBehindBalancer(AuthServerTest):
    """Basic authentication behind a balancer: failed logins are counted per
    client the PROXY header names, not per balancer (which would lock every
    user out at once, or let one attacker hide among them)."""

    @classmethod
    def site_config(cls):
        return "proxy_protocol = true\n" + super().site_config()

    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.server = IdentityServer(site=cls.site_config(), server='trusted_proxies = ["127.0.0.1"]')
        try:
            cls.prepare(cls.server)
        except BaseException:
            cls.server.close()
            raise

    def guess(self, client):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(proxy_v2(client, 40000) + build_request("/mine.txt", headers=basic(self.user, "guess")))
            start = time.monotonic()
            r = Reader(s).response()
            return r.status, time.monotonic() - start

    def test_failures_count_per_proxied_client(self):
        for _ in range(3):  # the free failures of one client
            self.assertEqual(self.guess("203.0.113.50")[0], 401)
        status, elapsed = self.guess("203.0.113.50")
        self.assertEqual(status, 401)
        self.assertGreaterEqual(elapsed, 0.9, "the fourth guess of one client waits")
        status, elapsed = self.guess("203.0.113.51")
        self.assertEqual(status, 401)
        self.assertLess(elapsed, 0.9, "another client behind the same balancer does not wait")
        self.assertTrue(self.server.wait_log("203.0.113.51"))


if __name__ == "__main__":
    unittest.main()

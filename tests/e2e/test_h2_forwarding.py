"""forwarded_headers over HTTP/2: on an https port whose site takes
X-Forwarded-For / -Proto, each h2 stream from a trusted balancer (the TCP peer
of the connection, [server] trusted_proxies) gets the client the balancer
names, for PHP (REMOTE_ADDR, HTTPS, REQUEST_SCHEME) and the access log; the
same headers from any other peer change nothing. 127.0.0.1 is the balancer,
127.0.0.2 a client that connects directly and forges the headers."""
import json
import os
import tempfile
import time
import unittest

import test_tls as tlsh
from ghtest import write
from test_h2 import Client

PHP = """<?php
header('Content-Type: application/json');
echo json_encode(['addr' => $_SERVER['REMOTE_ADDR'], 'port' => $_SERVER['REMOTE_PORT'],
                  'https' => $_SERVER['HTTPS'] ?? '', 'scheme' => $_SERVER['REQUEST_SCHEME'] ?? '',
                  'xff' => $_SERVER['HTTP_X_FORWARDED_FOR'] ?? '', 'protocol' => $_SERVER['SERVER_PROTOCOL']]);
"""
FORGED = ("-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.7", "-H", "X-Forwarded-Proto: http")


class H2ForwardingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="gh-h2fwd-")
        certs = {"a": tlsh.make_cert(cls.certs_dir, "a.example"), "b": tlsh.make_cert(cls.certs_dir, "b.example")}
        cls.server = tlsh.TlsServer(certs, server='trusted_proxies = ["127.0.0.1"]', site="forwarded_headers = true\n")
        write(os.path.join(cls.server.www, "ip.php"), PHP)
        write(os.path.join(cls.server.www, "seen.php"), PHP)
        write(os.path.join(cls.server.www, "slow.php"), "<?php usleep(300000); include 'ip.php';\n")
        cls.server.start()
        cls.base = f"https://127.0.0.1:{cls.server.port}"

    @classmethod
    def tearDownClass(cls):
        tlsh.stop_and_clean(cls.server, cls.certs_dir)

    def ask(self, source, *args, protocol="--http2", path="/ip.php"):
        status, headers, body = tlsh.curl(protocol, "--interface", source, *args, self.base + path)
        self.assertEqual(status, 200, headers)
        self.assertTrue(headers.startswith("HTTP/2 " if protocol == "--http2" else "HTTP/1.1 "), headers)
        return json.loads(body)

    def logged_clients(self, agent, site="main", wait=5.0):
        """The c-ip of the access log lines written for user agent `agent`."""
        deadline = time.monotonic() + wait
        while True:  # the access log is flushed once a second
            ips = [f.split(" ")[8] for f in self.server.access_log_lines(site)
                   if not f.startswith("#") and agent in f]
            if ips or time.monotonic() > deadline:
                return ips
            time.sleep(0.2)

    def test_trusted_balancer_names_the_client(self):
        seen = self.ask("127.0.0.1", *FORGED, "-A", "h2fwd-trusted")
        self.assertEqual(seen["protocol"], "HTTP/2.0")
        self.assertEqual(seen["addr"], "203.0.113.7")  # the entry the balancer appended
        self.assertEqual(seen["port"], "0")
        self.assertEqual((seen["https"], seen["scheme"]), ("", "http"))  # the client spoke http to the balancer
        self.assertEqual(self.logged_clients("h2fwd-trusted"), ["203.0.113.7"])

    def test_untrusted_peer_is_not_believed(self):
        seen = self.ask("127.0.0.2", *FORGED, "-A", "h2fwd-forged")
        self.assertEqual(seen["addr"], "127.0.0.2")
        self.assertNotEqual(seen["port"], "0")
        # Its own TLS stands: a forged X-Forwarded-Proto does not turn HTTPS off.
        self.assertEqual((seen["https"], seen["scheme"]), ("on", "https"))
        self.assertEqual(seen["xff"], "6.6.6.6, 203.0.113.7")  # passed on as a header, never as the client
        self.assertEqual(self.logged_clients("h2fwd-forged"), ["127.0.0.2"])

    def test_http11_over_tls_follows_the_same_rules(self):
        seen = self.ask("127.0.0.2", *FORGED, protocol="--http1.1")
        self.assertEqual((seen["addr"], seen["https"]), ("127.0.0.2", "on"))
        seen = self.ask("127.0.0.1", *FORGED, protocol="--http1.1")
        self.assertEqual((seen["addr"], seen["https"]), ("203.0.113.7", ""))
        seen = self.ask("127.0.0.1", "-H", "X-Forwarded-For: 198.51.100.4", protocol="--http1.1")
        self.assertEqual((seen["addr"], seen["https"]), ("198.51.100.4", "on"))  # no Proto: the TLS stands

    def test_each_stream_decides_alone(self):
        # One connection from the balancer, several clients' requests in
        # flight at once (as a balancer multiplexes them), then one without
        # the header: nothing leaks from one stream to another.
        c = Client(self.server.port, source="127.0.0.1")
        try:
            ids = {}
            for client in ("192.0.2.10", "192.0.2.11", "2001:db8::12"):
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, c.headers("/slow.php", extra=[("x-forwarded-for", client),
                                                                       ("x-forwarded-proto", "https")]),
                                    end_stream=True)
                ids[sid] = client
            c.flush()
            for sid, client in ids.items():
                r = c.wait(sid)
                self.assertEqual(r["headers"].get(":status"), "200", r)
                seen = json.loads(r["body"])
                self.assertEqual((seen["addr"], seen["https"]), (client, "on"))
            seen = json.loads(c.get("/ip.php")["body"])
            self.assertEqual((seen["addr"], seen["port"] != "0"), ("127.0.0.1", True))
        finally:
            c.close()

    def test_header_block_over_the_limit_keeps_the_balancer(self):
        # A head cut short by max_request_headers (431) may have lost the
        # balancer's own field: the client's forged one is not believed.
        c = Client(self.server.port, source="127.0.0.1")
        try:
            r = c.get("/seen.php", [("x-forwarded-for", "6.6.6.6"), ("user-agent", "h2fwd-431")] +
                      [("x-pad", "p" * 4000)] * 5)
            self.assertEqual(r["headers"].get(":status"), "431", r)
        finally:
            c.close()
        # No site took it (the head was refused before routing): IIS's HTTPERR log.
        self.assertEqual(self.logged_clients("h2fwd-431", site="_httperr"), ["127.0.0.1"])


if __name__ == "__main__":
    unittest.main()

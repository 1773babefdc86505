"""https bindings over TLS: curl over TLS (static, range, PHP, a POST body),
SNI with two certificates, TLS 1.0/1.1 refused, session resumption, HSTS and
the http->https redirect, the access log's protocol and TLS version, `check`
showing each certificate, and a private key others can read refused."""
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from ghtest import BIN, Server, free_port, write

CURL = shutil.which("curl")
OPENSSL = shutil.which("openssl")


def stop_and_clean(server, certs_dir):
    """Stops a TlsServer (it must exit 0) and removes it and its certificates' folder."""
    try:
        code = server.stop()
        assert code == 0, f"gatehouse exited with {code}: {server.output()}"
    finally:
        server.close()
        shutil.rmtree(certs_dir, ignore_errors=True)


def make_cert(folder, name, days=365, mode=0o600):
    """A self-signed P-256 certificate for `name`; returns (certificate, key)."""
    crt, key = os.path.join(folder, name + ".crt"), os.path.join(folder, name + ".key")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", str(days), "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:" + name],
                   check=True, capture_output=True, timeout=30)
    os.chmod(key, mode)
    os.chmod(crt, 0o644)
    return crt, key


def open_tree(root):
    os.chmod(root, 0o755)
    for d, dirs, files in os.walk(root):
        for n in dirs:
            os.chmod(os.path.join(d, n), 0o755)
        for n in files:
            os.chmod(os.path.join(d, n), 0o644)


class TlsServer(Server):
    """The site served on https://127.0.0.1:<port> (a.example's certificate for
    any name, b.example's for SNI b.example) and on http://127.0.0.1:<http_port>."""

    def __init__(self, certs, site_tls="", server_tls="", **kw):
        super().__init__(**kw)
        self.http_port = free_port()
        a_crt, a_key = certs["a"]
        b_crt, b_key = certs["b"]
        with open(self.config) as f:
            text = f.read()
        bindings = (f'bindings = [{{ url = "https://127.0.0.1:{self.port}:*", certificate = "{a_crt}", '
                    f'key = "{a_key}" }}, {{ url = "https://127.0.0.1:{self.port}:b.example", '
                    f'certificate = "{b_crt}", key = "{b_key}" }}, "http://127.0.0.1:{self.http_port}:*"]')
        text = re.sub(r'bindings = \["http://127\.0\.0\.1:\d+:\*"\]', lambda m: bindings, text, count=1)
        text += f"\n[sites.tls]\n{site_tls}\n"
        text = text.replace("[server.limits]", f"[server.tls]\n{server_tls}\n\n[server.limits]", 1)
        with open(self.config, "w") as f:
            f.write(text)

    def start(self, timeout=20, args=()):
        open_tree(self.root)
        return super().start(timeout, args)


def curl(*args, timeout=30):
    """curl's (status, headers text, body bytes) with -k (self-signed)."""
    with tempfile.NamedTemporaryFile() as head:
        r = subprocess.run([CURL, "-sS", "-k", "--max-time", "20", "-D", head.name, *args],
                           capture_output=True, timeout=timeout)
        with open(head.name, "rb") as f:
            headers = f.read().decode("latin-1")
    if r.returncode != 0:
        raise AssertionError(f"curl {args} failed ({r.returncode}): {r.stderr.decode()}")
    status = int(headers.split("\r\n", 1)[0].split(" ")[1])
    return status, headers, r.stdout


def s_client(port, *args, data=b""):
    r = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", *args],
                       input=data, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def old_client_hello(version):
    """A ClientHello that offers at most `version` (0x0301 TLS 1.0, 0x0302 TLS 1.1),
    as an old client sends it: no supported_versions extension."""
    suites = bytes.fromhex("c013c014002f0035")
    body = (version.to_bytes(2, "big") + os.urandom(32) + b"\x00" + len(suites).to_bytes(2, "big") + suites +
            b"\x01\x00")
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="gh-tls-")
        cls.certs = {"a": make_cert(cls.certs_dir, "a.example"), "b": make_cert(cls.certs_dir, "b.example")}
        cls.server = TlsServer(cls.certs, site_tls='hsts = "1h"\nredirect_to_https = true\n',
                               limits='body_timeout = "2s"')
        www = cls.server.www
        write(os.path.join(www, "index.html"), "<h1>over TLS</h1>\n")
        cls.big = os.urandom(300 * 1024)  # several 64 KiB encrypted parts
        write(os.path.join(www, "big.zip"), cls.big)
        write(os.path.join(www, "huge.zip"), b"\0" * (32 << 20))
        write(os.path.join(www, "info.php"),
              "<?php echo 'HTTPS=', $_SERVER['HTTPS'] ?? '', ' SERVER_PORT=', $_SERVER['SERVER_PORT'], "
              "' REQUEST_SCHEME=', $_SERVER['REQUEST_SCHEME'], ' PROTOCOL=', $_SERVER['SERVER_PROTOCOL'];\n")
        write(os.path.join(www, "post.php"),
              "<?php $b = file_get_contents('php://input'); echo strlen($b), ' ', md5($b), ' ', "
              "$_SERVER['CONTENT_LENGTH'];\n")
        cls.server.start()
        cls.base = f"https://127.0.0.1:{cls.server.port}"

    @classmethod
    def tearDownClass(cls):
        stop_and_clean(cls.server, cls.certs_dir)

    def test_static_over_http11_and_http2_offer(self):
        for flag in ("--http1.1", "--http2"):
            status, headers, body = curl(flag, self.base + "/index.html")
            self.assertEqual(status, 200, headers)
            self.assertEqual(body, b"<h1>over TLS</h1>\n")
            self.assertIn("strict-transport-security: max-age=3600", headers.lower())

    def test_large_file_and_range(self):
        status, _, body = curl("--http1.1", self.base + "/big.zip")
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(self.big).hexdigest())
        status, headers, body = curl("--http1.1", "-r", "70000-70099", self.base + "/big.zip")
        self.assertEqual(status, 206, headers)
        self.assertEqual(body, self.big[70000:70100])

    def test_php_sees_https(self):
        status, _, body = curl("--http1.1", self.base + "/info.php")
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(), f"HTTPS=on SERVER_PORT={self.server.port} REQUEST_SCHEME=https "
                                        "PROTOCOL=HTTP/1.1")
        status, _, body = curl(f"http://127.0.0.1:{self.server.http_port}/info.php", "-H", "Host: 127.0.0.1")
        self.assertEqual(status, 301)  # redirect_to_https: PHP never sees the plain request

    def test_post_body(self):
        payload = os.urandom(200 * 1024)
        with tempfile.NamedTemporaryFile() as f:
            f.write(payload)
            f.flush()
            status, _, body = curl("--http1.1", "--data-binary", "@" + f.name, "-H",
                                   "Content-Type: application/octet-stream", self.base + "/post.php")
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(), f"{len(payload)} {hashlib.md5(payload).hexdigest()} {len(payload)}")

    def test_sni_picks_the_certificate(self):
        _, out = s_client(self.server.port, "-servername", "b.example")
        self.assertRegex(out, r"subject=CN ?= ?b\.example")
        _, out = s_client(self.server.port, "-servername", "other.example")
        self.assertRegex(out, r"subject=CN ?= ?a\.example")  # the "*" binding's
        _, out = s_client(self.server.port, "-noservername")
        self.assertRegex(out, r"subject=CN ?= ?a\.example")

    def test_tls_10_and_11_refused_12_and_13_served(self):
        for version in (0x0301, 0x0302):
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                s.sendall(old_client_hello(version))
                reply = s.recv(64)
            # A fatal alert (record type 21), protocol_version (70): no handshake at all.
            self.assertEqual(reply[:1], b"\x15", reply)
            self.assertEqual(reply[-2:], b"\x02\x46", reply)
        for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            code, out = s_client(self.server.port, flag)
            self.assertEqual(code, 0, out)
            self.assertIn(f"New, {name}, Cipher is", out)

    def test_not_tls_is_closed_and_others_are_served(self):
        # Plain HTTP, garbage and a silent client on the https port: each is closed
        # with no answer in clear text, while a TLS client is served meanwhile.
        silent = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\xff\xff" + b"A" * 300):
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                    s.sendall(junk)
                    try:
                        reply = s.recv(4096)
                    except ConnectionResetError:  # closed with our bytes unread
                        reply = b""
                self.assertNotIn(b"HTTP/1.1", reply)
                self.assertTrue(reply == b"" or reply[:1] == b"\x15", reply)  # closed, or a TLS alert
                status, _, body = curl("--http1.1", self.base + "/index.html")
                self.assertEqual((status, body), (200, b"<h1>over TLS</h1>\n"))
        finally:
            silent.close()

    def test_slow_reader_is_cut_and_others_are_served(self):
        # A client that stops reading a 32 MiB response: Gatehouse holds one
        # 64 KiB part at a time (no whole-response buffer), serves others
        # meanwhile, and closes the stalled connection after body_timeout (2s).
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(20)
        raw.connect(("127.0.0.1", self.server.port))
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"GET /huge.zip HTTP/1.1\r\nHost: localhost\r\n\r\n")
            s.recv(1024)
            started = time.monotonic()
            status, _, body = curl("--http1.1", self.base + "/index.html")
            self.assertEqual((status, body), (200, b"<h1>over TLS</h1>\n"))
            time.sleep(4)
            got = 0
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
            except (ConnectionResetError, ssl.SSLError):
                pass
            self.assertLess(got, 8 << 20)  # cut long before the end
            self.assertLess(time.monotonic() - started, 18)

    def test_session_ticket_resumes(self):
        with tempfile.TemporaryDirectory() as d:
            sess = os.path.join(d, "s.pem")
            code, out = s_client(self.server.port, "-tls1_2", "-sess_out", sess)
            self.assertEqual(code, 0, out)
            self.assertIn("TLS session ticket lifetime hint", out)
            code, out = s_client(self.server.port, "-tls1_2", "-sess_in", sess)
            self.assertIn("Reused, TLSv1.2", out)

    def test_redirect_to_https(self):
        status, headers, _ = curl(f"http://127.0.0.1:{self.server.http_port}/a/b?x=1", "-H", "Host: b.example")
        self.assertEqual(status, 301)
        self.assertIn(f"location: https://b.example:{self.server.port}/a/b?x=1", headers.lower())
        # ACME http-01 challenges stay on http (a missing file: 404, not a redirect).
        status, _, _ = curl(f"http://127.0.0.1:{self.server.http_port}/.well-known/acme-challenge/t0k3n")
        self.assertEqual(status, 404)
        # A Host no https binding names redirects to the "*" binding with that name... only if it is a host name.
        status, headers, _ = curl(f"http://127.0.0.1:{self.server.http_port}/", "-H", "Host: evil\"x")
        self.assertNotIn('evil"', headers)

    def test_access_log_records_protocol_and_tls(self):
        curl("--http1.1", "-A", "tls-log-probe", self.base + "/index.html")
        deadline = time.monotonic() + 5
        hits = []
        while time.monotonic() < deadline and not hits:
            hits = [l for l in self.server.access_log_lines() if "tls-log-probe" in l]
            time.sleep(0.2)
        self.assertTrue(hits)
        f = hits[0].split(" ")
        self.assertEqual(f[15:], ["HTTP/1.1", "TLSv1.3"])


def ocsp_response(folder, crt, key):
    """A DER OCSP response saying `crt` (its own issuer) is good, from `openssl ocsp` as a local responder."""
    serial = subprocess.run([OPENSSL, "x509", "-in", crt, "-noout", "-serial"], capture_output=True, text=True,
                            check=True).stdout.strip().split("=")[1]
    end = time.strftime("%y%m%d%H%M%SZ", time.gmtime(time.time() + 10 * 86400))
    index = os.path.join(folder, "index.txt")
    write(index, f"V\t{end}\t\t{serial}\tunknown\t/CN=a.example\n")
    out = os.path.join(folder, "ocsp.der")
    subprocess.run([OPENSSL, "ocsp", "-index", index, "-rsigner", crt, "-rkey", key, "-CA", crt, "-issuer", crt,
                    "-cert", crt, "-respout", out, "-ndays", "1"], check=True, capture_output=True, timeout=30)
    return out


class OcspStaplingTest(unittest.TestCase):
    """ocsp_stapling = true staples the site's ocsp_response file; off, nothing is stapled."""

    def test_staple(self):
        folder = tempfile.mkdtemp(prefix="gh-tls-ocsp-")
        self.addCleanup(shutil.rmtree, folder, True)
        certs = {"a": make_cert(folder, "a.example"), "b": make_cert(folder, "b.example")}
        der = ocsp_response(folder, *certs["a"])
        for stapling, expected in (("true", "Cert Status: good"), ("false", "OCSP response: no response sent")):
            server = TlsServer(certs, site_tls=f'ocsp_response = "{der}"\n', server_tls=f"ocsp_stapling = {stapling}")
            try:
                server.start()
                code, out = s_client(server.port, "-status", "-servername", "a.example")
                self.assertEqual(code, 0, out)
                self.assertIn(expected, out)
                self.assertEqual(server.stop(), 0)
            finally:
                server.close()


class TlsReloadTest(unittest.TestCase):
    """A changed certificate on reload. Under the supervisor/front split (serve
    as root) a reload starts a new front, which reads the keys as root before it
    confines itself: the new certificate is served. One process (--one-process)
    cannot re-read root's keys: the reload is refused with a clear message and
    the running certificates keep being served."""

    def reload_with_new_certificate(self, args):
        folder = tempfile.mkdtemp(prefix="gh-tls-reload-")
        self.addCleanup(shutil.rmtree, folder, True)
        certs = {"a": make_cert(folder, "a.example"), "b": make_cert(folder, "b.example")}
        server = TlsServer(certs)
        server.start(args=args)
        self.addCleanup(server.close)
        c_crt, c_key = make_cert(folder, "c.example")
        with open(server.config) as f:
            text = f.read()
        with open(server.config, "w") as f:
            f.write(text.replace(certs["b"][0], c_crt).replace(certs["b"][1], c_key))
        deadline = time.monotonic() + 20
        while True:  # a reload still draining the previous front answers "in progress"
            r = subprocess.run([BIN, "reload", "--config", server.config], capture_output=True, text=True, timeout=60)
            if "in progress" not in r.stdout + r.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        return server, r

    def subject(self, server):
        deadline = time.monotonic() + 10
        while True:
            code, out = s_client(server.port, "-servername", "b.example")
            if (code == 0 and "CN = b.example" not in out) or time.monotonic() > deadline:
                return code, out
            time.sleep(0.3)

    def test_split_reload_serves_the_new_certificate(self):
        server, r = self.reload_with_new_certificate(())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        code, out = self.subject(server)
        self.assertEqual(code, 0, out)
        self.assertIn("CN = c.example", out)
        self.assertEqual(server.stop(), 0)

    def test_one_process_reload_refuses_a_certificate_change(self):
        server, r = self.reload_with_new_certificate(("--one-process",))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("a reload cannot apply TLS changes; restart Gatehouse to apply them", r.stdout + r.stderr)
        code, out = s_client(server.port, "-servername", "b.example")
        self.assertEqual(code, 0, out)
        self.assertIn("CN = b.example", out)  # the running certificate, not the refused one
        self.assertEqual(server.stop(), 0)


class TlsCheckTest(unittest.TestCase):
    """`check` shows each certificate; a key others can read is refused by check and serve."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gh-tls-check-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def config(self, certs, site_tls=""):
        s = TlsServer(certs, site_tls=site_tls)
        self.addCleanup(s.tmp.cleanup)  # never started
        open_tree(s.root)
        return s

    def run_check(self, server):
        return subprocess.run([BIN, "check", "--config", server.config], capture_output=True, text=True, timeout=60)

    def test_check_shows_certificates(self):
        certs = {"a": make_cert(self.dir, "a.example", days=10), "b": make_cert(self.dir, "b.example")}
        # b.example's certificate also serves c.example, which it does not cover.
        s = self.config(certs)
        with open(s.config) as f:
            text = f.read()
        text = text.replace('"http://127.0.0.1:', f'{{ url = "https://127.0.0.1:{s.port}:c.example", certificate = '
                                                   f'"{certs["b"][0]}", key = "{certs["b"][1]}" }}, "http://127.0.0.1:', 1)
        with open(s.config, "w") as f:
            f.write(text)
        r = self.run_check(s)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn(f"certificate {certs['a'][0]}", out)
        self.assertRegex(out, r"subject /CN=a\.example")
        self.assertIn("names   DNS:a.example", out)
        self.assertRegex(out, r"expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (9|10) days\)")
        self.assertIn(f"binding https://127.0.0.1:{s.port}:b.example [site main]: covered", out)
        self.assertIn(f"binding https://127.0.0.1:{s.port}:c.example [site main]: NOT COVERED", out)
        self.assertRegex(out, r"warning: .*the certificate .*a\.example\.crt expires in (9|10) days")
        self.assertRegex(out, r"warning: .*does not cover the host c\.example")

    def test_key_readable_by_others_refused(self):
        certs = {"a": make_cert(self.dir, "a.example", mode=0o644), "b": make_cert(self.dir, "b.example")}
        s = self.config(certs)
        r = self.run_check(s)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stderr, re.escape(s.config) + r":\d+:\d+: key 'sites\[0\]\.bindings\[0\]\.key': the private "
                         r"key \".*a\.example\.key\" is accessible by group or others \(mode 0644\)")
        proc = subprocess.run([BIN, "serve", "--config", s.config], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("is accessible by group or others", proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()

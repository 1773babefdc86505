"""PHP through real php-cgi workers: CGI variables, PATH_INFO, bodies
(form, multipart, a 10 MB upload), response heads, framing, keep-alive,
stderr, httpoxy and header collisions."""
import hashlib
import json
import os
import socket
import threading
import time
import unittest

from ghtest import Server, Reader, build_request, write

MAX_REQUESTS = 500


def open_tree(root):
    """The pool and anonymous accounts must traverse the temporary root."""
    os.chmod(root, 0o755)
    for d, dirs, files in os.walk(root):
        for n in dirs:
            os.chmod(os.path.join(d, n), 0o755)
        for n in files:
            os.chmod(os.path.join(d, n), 0o644)


def read_raw_response(sock_reader, head=False):
    """Status, header list (repeats kept), body; follows Content-Length,
    chunked or close-delimited framing."""
    raw = sock_reader.read_until(b"\r\n\r\n").decode("latin-1")
    lines = raw.split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = []
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            headers.append((k.strip().lower(), v.strip()))
    h = dict(headers)
    if head or status in (204, 304):
        body = b""
    elif "content-length" in h:
        body = sock_reader.read_exact(int(h["content-length"]))
    elif h.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int(sock_reader.read_until(b"\r\n").strip(), 16)
            if size == 0:
                sock_reader.read_until(b"\r\n")
                break
            body += sock_reader.read_exact(size)
            sock_reader.read_exact(2)
    else:
        body = sock_reader.buf
        while True:
            chunk = sock_reader.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        sock_reader.buf = b""
    return status, headers, body


class PhpServer(Server):
    """A Server whose pool is configured by `fastcgi` and `pool_limits` (TOML lines) and `php_ini`."""

    def __init__(self, fastcgi="", php_ini="", pool_limits="", **kw):
        super().__init__(**kw)
        self.ini = os.path.join(self.root, "php.ini")
        write(self.ini, php_ini or "cgi.fix_pathinfo = 0\n")
        with open(self.config) as f:
            text = f.read()
        limits = f"[pools.limits]\n{pool_limits}\n\n" if pool_limits else ""
        text = text.replace('[[pools]]\nname = "main"\n',
                            f'[[pools]]\nname = "main"\nphp_ini = "{self.ini}"\n\n{limits}[pools.fastcgi]\n{fastcgi}\n'
                            f'monitor_changes_to = "{self.ini}"\n', 1)
        with open(self.config, "w") as f:
            f.write(text)

    def start(self, timeout=20):
        open_tree(self.root)
        return super().start(timeout)

    def stop_cleanly(self):
        """Stops, removes its folder, and fails unless gatehouse exited with 0 (its output says why)."""
        code = self.stop()
        out = self.output()
        self.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def get(self, target, method="GET", headers=None, body=b"", version="1.1"):
        with self.connect(30) as s:
            req = build_request(target, method, headers, body)
            if version == "1.0":
                req = req.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
            s.sendall(req)
            return read_raw_response(Reader(s), head=(method == "HEAD"))

    def children(self):
        """pid -> state of every child process of the server."""
        out = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out[int(pid)] = fields[0]
        return out


SCRIPTS = {
    "env.php": r"""<?php
header('Content-Type: application/json');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','PATH_TRANSLATED','DOCUMENT_ROOT','REQUEST_URI',
 'QUERY_STRING','REQUEST_METHOD','CONTENT_TYPE','CONTENT_LENGTH','REMOTE_ADDR','REMOTE_PORT','SERVER_ADDR',
 'SERVER_PORT','SERVER_NAME','SERVER_PROTOCOL','SERVER_SOFTWARE','GATEWAY_INTERFACE','REDIRECT_STATUS',
 'HTTP_X_CUSTOM','HTTP_PROXY','HTTPS','GATEHOUSE_POOL','GATEHOUSE_PHP_AS','GATEHOUSE_STATIC_AS'];
$out = [];
foreach ($keys as $k) $out[$k] = $_SERVER[$k] ?? null;
$out['getenv_proxy'] = getenv('HTTP_PROXY');
$out['get'] = $_GET; $out['post'] = $_POST; $out['pid'] = getmypid();
$out['files'] = array_map(fn($f) => ['name'=>$f['name'],'size'=>$f['size'],'md5'=>md5_file($f['tmp_name'])], $_FILES);
echo json_encode($out);
""",
    "a/b.php": "<?php echo json_encode(['SCRIPT_NAME'=>$_SERVER['SCRIPT_NAME'],'PATH_INFO'=>$_SERVER['PATH_INFO']]);",
    "uploads/x.jpg": "<?php echo 'EXECUTED-UPLOAD';",
    "heads.php": r"""<?php
http_response_code(201);
header('X-One: 1');
setcookie('first', 'a'); setcookie('second', 'b'); setcookie('third', 'c');
echo 'created';
""",
    "redirect.php": "<?php header('Location: /target'); echo 'moving';",
    "teapot.php": "<?php header('Status: 418 I Am A Teapot'); echo 'tea';",
    "nocontent.php": "<?php http_response_code(204);",
    "big.php": "<?php for ($i = 0; $i < 2000; $i++) echo str_pad((string)$i, 99, '.'), \"\\n\";",
    # error_log() goes to FastCGI's stderr stream (fastcgi.logging = 1, no error_log file).
    "stderr.php": "<?php error_log('broken <b>thing</b>'); echo 'partial';",
    "sub/index.php": "<?php echo 'dir-index';",
    "pid.php": "<?php echo getmypid();",
    "sleep.php": "<?php usleep((int)($_GET['ms'] ?? 300) * 1000); echo 'slept ', getmypid();",
    "ini.php": "<?php echo ini_get('default_charset');",
}


class Php(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = PhpServer(fastcgi=f"max_instances = 2\ninstance_max_requests = {MAX_REQUESTS}",
                               php_ini="cgi.fix_pathinfo = 0\ndefault_charset = \"UTF-8\"\nupload_max_filesize = 32M\npost_max_size = 32M\nlog_errors = On\ndisplay_errors = Off\nfastcgi.logging = 1\n",
                               limits="max_allowed_content_length = 40000000")
        for rel, data in SCRIPTS.items():
            write(os.path.join(cls.server.www, rel), data)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        out = cls.server.output()
        cls.server.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"

    def env(self, target, **kw):
        status, headers, body = self.server.get(target, **kw)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_get_sets_the_cgi_variables(self):
        e = self.env("/env.php?x=1&y=two", headers={"X-Custom": "hello"})
        www = os.path.realpath(self.server.www)
        self.assertEqual(e["SCRIPT_NAME"], "/env.php")
        self.assertEqual(os.path.realpath(e["SCRIPT_FILENAME"]), os.path.join(www, "env.php"))
        self.assertEqual(os.path.realpath(e["DOCUMENT_ROOT"]), www)
        self.assertEqual(e["REQUEST_URI"], "/env.php?x=1&y=two")
        self.assertEqual(e["QUERY_STRING"], "x=1&y=two")
        self.assertEqual(e["get"], {"x": "1", "y": "two"})
        self.assertEqual(e["REQUEST_METHOD"], "GET")
        self.assertEqual(e["REMOTE_ADDR"], "127.0.0.1")
        self.assertTrue(int(e["REMOTE_PORT"]) > 0)
        self.assertEqual(e["SERVER_ADDR"], "127.0.0.1")
        self.assertEqual(e["SERVER_PORT"], str(self.server.port))
        self.assertEqual(e["SERVER_NAME"], "localhost")
        self.assertEqual(e["SERVER_PROTOCOL"], "HTTP/1.1")
        self.assertEqual(e["SERVER_SOFTWARE"], "Gatehouse")
        self.assertEqual(e["GATEWAY_INTERFACE"], "CGI/1.1")
        self.assertEqual(e["REDIRECT_STATUS"], "200")
        self.assertEqual(e["HTTP_X_CUSTOM"], "hello")
        self.assertIsNone(e["HTTPS"])
        self.assertEqual(e["GATEHOUSE_POOL"], "main")
        self.assertTrue(e["GATEHOUSE_PHP_AS"])
        self.assertTrue(e["GATEHOUSE_STATIC_AS"])

    def test_path_info_and_script_name(self):
        status, _, body = self.server.get("/a/b.php/x/y")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"SCRIPT_NAME": "/a/b.php", "PATH_INFO": "/x/y"})
        e = self.env("/env.php/p/q")
        self.assertEqual(e["PATH_INFO"], "/p/q")
        # As IIS sends it: the script's path, so cgi.fix_pathinfo = 0 cannot run PATH_INFO's target.
        self.assertEqual(e["PATH_TRANSLATED"], e["SCRIPT_FILENAME"])

    def test_path_info_naming_an_upload_runs_the_script_not_the_upload(self):
        status, _, body = self.server.get("/a/b.php/uploads/x.jpg")
        self.assertEqual(status, 200)
        self.assertNotIn(b"EXECUTED", body)
        self.assertEqual(json.loads(body)["PATH_INFO"], "/uploads/x.jpg")

    def test_upload_is_never_executed_through_path_info(self):
        status, _, body = self.server.get("/uploads/x.jpg/y.php")
        self.assertEqual(status, 404)
        self.assertNotIn(b"EXECUTED", body)
        status, _, body = self.server.get("/missing.php")
        self.assertEqual(status, 404)

    def test_directory_default_document_runs_index_php(self):
        status, _, body = self.server.get("/sub/")
        self.assertEqual((status, body), (200, b"dir-index"))

    def test_post_form(self):
        e = self.env("/env.php", method="POST", body=b"a=1&b=hello+world",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(e["post"], {"a": "1", "b": "hello world"})
        self.assertEqual(e["CONTENT_LENGTH"], "17")
        self.assertEqual(e["CONTENT_TYPE"], "application/x-www-form-urlencoded")

    def multipart(self, name, data, fields=None):
        boundary = "gh" + hashlib.md5(data[:1000]).hexdigest()
        parts = []
        for k, v in (fields or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    def test_post_multipart(self):
        body, headers = self.multipart("small.txt", b"hello file", {"title": "T"})
        e = self.env("/env.php", method="POST", body=body, headers=headers)
        self.assertEqual(e["post"], {"title": "T"})
        self.assertEqual(e["files"]["file"]["size"], 10)
        self.assertEqual(e["files"]["file"]["md5"], hashlib.md5(b"hello file").hexdigest())

    def test_10mb_upload_md5_matches(self):
        data = os.urandom(10 * 1024 * 1024)
        body, headers = self.multipart("big.bin", data)
        e = self.env("/env.php", method="POST", body=body, headers=headers)
        self.assertEqual(e["files"]["file"]["size"], len(data))
        self.assertEqual(e["files"]["file"]["md5"], hashlib.md5(data).hexdigest())

    def test_status_headers_and_several_cookies(self):
        status, headers, body = self.server.get("/heads.php")
        self.assertEqual(status, 201)
        self.assertEqual(body, b"created")
        self.assertIn(("x-one", "1"), headers)
        cookies = [v for k, v in headers if k == "set-cookie"]
        self.assertEqual([c.split(";")[0] for c in cookies], ["first=a", "second=b", "third=c"])

    def test_location_without_status_is_302(self):
        status, headers, _ = self.server.get("/redirect.php")
        self.assertEqual(status, 302)
        self.assertIn(("location", "/target"), headers)

    def test_status_header_and_204(self):
        status, _, body = self.server.get("/teapot.php")
        self.assertEqual((status, body), (418, b"tea"))
        status, headers, body = self.server.get("/nocontent.php")
        self.assertEqual((status, body), (204, b""))
        self.assertNotIn("content-length", dict(headers))

    def test_head_has_no_body_and_keeps_the_connection(self):
        with self.server.connect() as s:
            s.sendall(build_request("/heads.php", "HEAD") + build_request("/pid.php"))
            r = Reader(s)
            status, _, body = read_raw_response(r, head=True)
            self.assertEqual((status, body), (201, b""))
            status, _, body = read_raw_response(r)
            self.assertEqual(status, 200)
            self.assertTrue(body.isdigit())

    def test_large_output_is_chunked_and_http10_is_close_delimited(self):
        expected = b"".join(str(i).ljust(99, ".").encode() + b"\n" for i in range(2000))
        status, headers, body = self.server.get("/big.php")
        self.assertEqual(dict(headers).get("transfer-encoding"), "chunked")
        self.assertEqual(body, expected)
        status, headers, body = self.server.get("/big.php", version="1.0")
        self.assertNotIn("transfer-encoding", dict(headers))
        self.assertEqual(dict(headers).get("connection"), "close")
        self.assertEqual(body, expected)

    def test_keep_alive_after_php_responses(self):
        with self.server.connect() as s:
            r = Reader(s)
            for i in range(20):
                s.sendall(build_request(f"/env.php?i={i}"))
                status, headers, body = read_raw_response(r)
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body)["get"], {"i": str(i)})
            s.sendall(build_request("/big.php"))
            self.assertEqual(len(read_raw_response(r)[2]), 200000)
            s.sendall(build_request("/a/b.php/z"))
            self.assertEqual(read_raw_response(r)[0], 200)

    def test_stderr_gives_500_with_its_text(self):
        status, _, body = self.server.get("/stderr.php")
        self.assertEqual(status, 500)
        self.assertIn(b"broken &lt;b&gt;thing&lt;/b&gt;", body)
        self.assertNotIn(b"partial", body)
        self.assertEqual(self.server.get("/pid.php")[0], 200)

    def test_httpoxy_proxy_header_is_not_visible(self):
        e = self.env("/env.php", headers={"Proxy": "http://evil.example:1"})
        self.assertIsNone(e["HTTP_PROXY"])
        self.assertFalse(e["getenv_proxy"])

    def test_header_collision_is_400(self):
        status, _, _ = self.server.get("/env.php", headers={"X-Foo": "1", "X_Foo": "2"})
        self.assertEqual(status, 400)

    def test_query_string_never_reaches_the_command_line(self):
        status, _, body = self.server.get("/pid.php?-s")
        self.assertEqual(status, 200)
        self.assertTrue(body.isdigit(), body)  # -s would have printed the source

    def test_fifty_concurrent_requests_with_two_workers(self):
        results = []

        def one():
            try:
                results.append(self.server.get("/sleep.php?ms=20")[0])
            except Exception as e:  # noqa: BLE001 - recorded, asserted below
                results.append(repr(e))

        threads = [threading.Thread(target=one) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(results, [200] * 50)

    def test_php_ini_change_is_picked_up_without_restart(self):
        self.assertEqual(self.server.get("/ini.php")[2], b"UTF-8")
        with open(self.server.ini) as f:
            text = f.read()
        write(self.server.ini, text.replace('default_charset = "UTF-8"', 'default_charset = "ISO-8859-1"'))
        try:
            deadline = time.monotonic() + 15
            seen = None
            while time.monotonic() < deadline:
                seen = self.server.get("/ini.php")[2]
                if seen == b"ISO-8859-1":
                    break
                time.sleep(0.3)
            self.assertEqual(seen, b"ISO-8859-1")
        finally:
            write(self.server.ini, text)

    def test_zz_no_zombie_children(self):
        time.sleep(0.5)
        zombies = {pid: st for pid, st in self.server.children().items() if st == "Z"}
        self.assertEqual(zombies, {})


if __name__ == "__main__":
    unittest.main()

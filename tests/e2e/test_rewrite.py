"""Rewrite rules, request filtering and handler policies through the real
server (issues 13 and 17): a front-controller application as the test writes
it (routes, the application's own 404, a chunked POST, REQUEST_URI and
PATH_INFO as the application sees them), IIS-style rules (redirect, custom
response, a rewrite that cannot escape), hidden segments and static-only
folders."""
import json
import os
import socket
import unittest

from ghtest import Reader, build_request, write
from test_php import PhpServer, read_raw_response

APP = r"""<?php
$route = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$out = ['route' => $route, 'REQUEST_URI' => $_SERVER['REQUEST_URI'], 'SCRIPT_NAME' => $_SERVER['SCRIPT_NAME'],
        'PATH_INFO' => $_SERVER['PATH_INFO'] ?? null, 'QUERY_STRING' => $_SERVER['QUERY_STRING'],
        'X_ORIGINAL_URL' => $_SERVER['HTTP_X_ORIGINAL_URL'] ?? null, 'get' => $_GET];
if ($route === '/missing') { http_response_code(404); echo json_encode(['error' => 'no such page']); exit; }
if ($_SERVER['REQUEST_METHOD'] === 'POST') $out['body'] = strlen(file_get_contents('php://input'));
echo json_encode($out);
"""

SITE = """
front_controller = "/index.php"
[sites.request_filtering]
hidden_segments = ["vendor"]
denied_extensions = [".inc"]

[[sites.handler_policies]]
path = "/static"
scripts = false

[[sites.rewrite]]
name = "old blog"
match = "^old/(.*)$"
action = "Redirect"
url = "/articles/{R:1}"
redirect_type = 301

[[sites.rewrite]]
name = "no xmlrpc"
match = "^xmlrpc\\\\.php$"
action = "CustomResponse"
status_code = 403
substatus_code = 502
status_reason = "Forbidden"
status_description = "xmlrpc is off"

[[sites.rewrite]]
name = "wiki"
match = "^wiki/(.*)$"
action = "Rewrite"
url = "index.php?title={R:1}"
stop_processing = true
"""


class RewriteServer(PhpServer):
    def __init__(self):
        super().__init__(site=SITE, php_ini="cgi.fix_pathinfo = 0\n")


def get(port, target, method="GET", headers=None, body=b""):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(build_request(target, method, headers, body))
        return read_raw_response(Reader(s))


class Rewrite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = RewriteServer()
        write(os.path.join(cls.server.www, "index.php"), APP)
        write(os.path.join(cls.server.www, "real.txt"), "a real file")
        write(os.path.join(cls.server.www, "vendor/composer/installed.json"), "{}")
        write(os.path.join(cls.server.www, "config.inc"), "<?php $secret = 1;")
        write(os.path.join(cls.server.www, "static/run.php"), "<?php echo 'RAN';")
        write(os.path.join(cls.server.www, "static/logo.txt"), "logo")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def json(self, target, **kw):
        status, _, body = get(self.server.port, target, **kw)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_front_controller_routes_every_missing_path_with_the_original_uri(self):
        e = self.json("/products/42?sort=asc")
        self.assertEqual(e["route"], "/products/42")
        self.assertEqual(e["REQUEST_URI"], "/products/42?sort=asc")
        self.assertEqual(e["SCRIPT_NAME"], "/index.php")
        self.assertEqual(e["QUERY_STRING"], "sort=asc")
        self.assertEqual(e["get"], {"sort": "asc"})
        self.assertEqual(e["X_ORIGINAL_URL"], "/products/42?sort=asc")

    def test_existing_files_are_served_as_they_are(self):
        self.assertEqual(get(self.server.port, "/real.txt")[2], b"a real file")

    def test_the_applications_own_404(self):
        status, _, body = get(self.server.port, "/missing")
        self.assertEqual((status, json.loads(body)), (404, {"error": "no such page"}))

    def test_script_path_with_extra_segments_goes_through_the_front_controller(self):
        # As nginx's try_files: "/index.php/a/b" is no file, so the front
        # controller runs with the original URI (and no PATH_INFO).
        e = self.json("/index.php/a/b")
        self.assertEqual((e["SCRIPT_NAME"], e["PATH_INFO"], e["REQUEST_URI"], e["route"]),
                         ("/index.php", "", "/index.php/a/b", "/index.php/a/b"))

    def test_chunked_post_through_the_front_controller(self):
        body = b"y" * 3000
        data = (b"POST /api/items HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
                b"bb8\r\n" + body + b"\r\n0\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(data)
            status, _, out = read_raw_response(Reader(s))
        e = json.loads(out)
        self.assertEqual((status, e["route"], e["body"]), (200, "/api/items", 3000))

    def test_rewrite_rule_with_back_reference(self):
        e = self.json("/wiki/Main_Page")
        self.assertEqual((e["SCRIPT_NAME"], e["get"], e["REQUEST_URI"]),
                         ("/index.php", {"title": "Main_Page"}, "/wiki/Main_Page"))

    def test_redirect_rule(self):
        status, headers, _ = get(self.server.port, "/old/2019/hello")
        location = [v for k, v in headers if k.lower() == "location"]
        self.assertEqual((status, location), (301, ["/articles/2019/hello"]))

    def test_custom_response_rule(self):
        status, _, body = get(self.server.port, "/xmlrpc.php")
        self.assertEqual(status, 403)
        self.assertIn(b"xmlrpc is off", body)

    def test_a_rewrite_cannot_climb_out_or_unhide(self):
        for target in ("/wiki/..%2F..%2Fetc%2Fpasswd", "/vendor/composer/installed.json", "/wiki/%2e%2e"):
            status, _, body = get(self.server.port, target)
            self.assertNotIn(b"root:", body, target)
            self.assertNotEqual(body, b"{}", target)

    def test_hidden_segment_and_denied_extension(self):
        self.assertEqual(get(self.server.port, "/vendor/composer/installed.json")[0], 404)
        status, _, body = get(self.server.port, "/config.inc")
        self.assertEqual(status, 404)
        self.assertNotIn(b"secret", body)

    def test_static_only_folder_never_runs_nor_shows_a_script(self):
        status, _, body = get(self.server.port, "/static/run.php")
        self.assertEqual(status, 404)
        self.assertNotIn(b"RAN", body)
        self.assertNotIn(b"<?php", body)
        self.assertEqual(get(self.server.port, "/static/logo.txt")[2], b"logo")

    def test_client_cannot_forge_the_original_url(self):
        e = self.json("/index.php", headers={"X-Original-URL": "/admin"})
        self.assertIsNone(e["X_ORIGINAL_URL"])


if __name__ == "__main__":
    unittest.main()

"""Static files over real sockets: GET, HEAD, validators, ranges, default
documents, redirects, keep-alive, pipelining and the access log."""
import os
import time
import unittest

from ghtest import ServerTest, Reader, build_request

KIB = b"".join(bytes([65 + i % 26]) for i in range(1024))
BIG = bytes(range(256)) * 1024  # 256 KiB: past the inline limit, sent with sendfile


class StaticFiles(ServerTest):
    files = {
        "static.html": KIB,
        "docs/index.htm": "<p>docs</p>",
        "empty/.keep.txt": "",
        "style.css": "body{}",
        "big.bin.zip": BIG,
        "index.php": "<?php /* PHP-SOURCE */ echo 'ran';",
        "app/x.php": "<?php /* PHP-SOURCE */ echo 'ran';",
        "notes.inc": "INC-SECRET",
        ".htpasswd": "admin:hash",
        "caf\u00e9 menu.txt": "menu",
    }

    def test_get_serves_file_with_type_length_and_validators(self):
        r = self.server.request("/static.html")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, KIB)
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
        self.assertEqual(r.header("content-length"), "1024")
        self.assertRegex(r.header("etag"), r'^"[0-9a-f]+-400-[0-9a-f]+"$')
        self.assertTrue(r.header("last-modified").endswith(" GMT"))
        self.assertTrue(r.header("date").endswith(" GMT"))
        self.assertEqual(r.header("accept-ranges"), "bytes")

    def test_head_has_headers_and_no_body(self):
        with self.server.connect() as s:
            s.sendall(build_request("/static.html", "HEAD") + build_request("/style.css"))
            reader = Reader(s)
            head = reader.response(head=True)
            self.assertEqual(head.status, 200)
            self.assertEqual(head.header("content-length"), "1024")
            nxt = reader.response()  # the next response starts right after the head: no stray body
            self.assertEqual(nxt.body, b"body{}")

    def test_if_none_match_and_if_modified_since_give_304(self):
        r = self.server.request("/static.html")
        etag, lm = r.header("etag"), r.header("last-modified")
        r304 = self.server.request("/static.html", headers={"If-None-Match": etag})
        self.assertEqual(r304.status, 304)
        self.assertEqual(r304.body, b"")
        self.assertEqual(r304.header("etag"), etag)
        self.assertEqual(self.server.request("/static.html", headers={"If-Modified-Since": lm}).status, 304)
        self.assertEqual(self.server.request("/static.html", headers={"If-None-Match": '"other"'}).status, 200)
        self.assertEqual(self.server.request("/static.html", headers={"If-Match": '"other"'}).status, 412)

    def test_single_range_gives_206(self):
        r = self.server.request("/static.html", headers={"Range": "bytes=10-19"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, KIB[10:20])
        self.assertEqual(r.header("content-range"), "bytes 10-19/1024")
        r = self.server.request("/static.html", headers={"Range": "bytes=-4"})
        self.assertEqual((r.status, r.body), (206, KIB[-4:]))
        r = self.server.request("/static.html", headers={"Range": "bytes=1000-"})
        self.assertEqual((r.status, r.body), (206, KIB[1000:]))

    def test_large_file_whole_and_ranges_via_sendfile(self):
        r = self.server.request("/big.bin.zip")
        self.assertEqual((r.status, r.header("content-type")), (200, "application/zip"))
        self.assertEqual(r.body, BIG)
        r = self.server.request("/big.bin.zip", headers={"Range": "bytes=100000-199999"})
        self.assertEqual((r.status, r.body), (206, BIG[100000:200000]))
        self.assertEqual(r.header("content-range"), "bytes 100000-199999/%d" % len(BIG))
        r = self.server.request("/big.bin.zip", method="HEAD")
        self.assertEqual((r.status, r.header("content-length"), r.body), (200, str(len(BIG)), b""))

    def test_unsatisfiable_range_gives_416_and_several_ranges_the_whole_file(self):
        r = self.server.request("/static.html", headers={"Range": "bytes=2000-3000"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("content-range"), "bytes */1024")
        r = self.server.request("/static.html", headers={"Range": "bytes=0-1,5-6"})
        self.assertEqual((r.status, r.body), (200, KIB))

    def test_default_document_redirect_and_no_listing(self):
        r = self.server.request("/docs?x=1")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"), "/docs/?x=1")
        r = self.server.request("/docs/")
        self.assertEqual((r.status, r.body), (200, b"<p>docs</p>"))
        r = self.server.request("/empty/")
        self.assertEqual(r.status, 403)
        self.assertIn(b"403.14", r.body)

    def test_encoded_names(self):
        r = self.server.request("/caf%C3%A9%20menu.txt")
        self.assertEqual((r.status, r.body), (200, b"menu"))

    def test_other_methods_get_405_with_allow(self):
        r = self.server.request("/static.html", method="DELETE")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")

    def test_php_source_hidden_and_unknown_types_refused(self):
        # PHP files run (or are missing); their source is never sent as a static file.
        for path, status in [("/index.php", 200), ("/INDEX.PHP", 404), ("/app/x.php", 200),
                             ("/app/x.php/extra", 200), ("/", 200), ("/notes.inc", 404)]:
            r = self.server.request(path)
            self.assertEqual(r.status, status, path)
            self.assertNotIn(b"PHP-SOURCE", r.body, path)
            self.assertNotIn(b"INC-SECRET", r.body, path)
            if status == 200:
                self.assertEqual(r.body, b"ran", path)
        r = self.server.request("/.htpasswd")
        self.assertEqual(r.status, 404)
        self.assertIn(b"404.8", r.body)

    def test_missing_file_404_keeps_connection(self):
        with self.server.connect() as s:
            reader = Reader(s)
            s.sendall(build_request("/nope.html"))
            self.assertEqual(reader.response().status, 404)
            s.sendall(build_request("/style.css"))
            self.assertEqual(reader.response().status, 200)

    def test_thousand_requests_on_one_connection(self):
        with self.server.connect() as s:
            reader = Reader(s)
            for i in range(1000):
                s.sendall(build_request("/static.html"))
                r = reader.response()
                self.assertEqual(r.status, 200, i)
                self.assertEqual(len(r.body), 1024)

    def test_pipelined_requests_answered_in_order(self):
        with self.server.connect() as s:
            s.sendall(build_request("/style.css") + build_request("/static.html", "HEAD")
                      + build_request("/docs/index.htm") + build_request("/static.html", headers={"Range": "bytes=0-2"}))
            reader = Reader(s)
            self.assertEqual(reader.response().body, b"body{}")
            head = reader.response(head=True)
            self.assertEqual((head.status, head.header("content-length")), (200, "1024"))
            self.assertEqual(reader.response().body, b"<p>docs</p>")
            self.assertEqual(reader.response().body, KIB[:3])

    def test_http10_closes_unless_keep_alive(self):
        with self.server.connect() as s:
            s.sendall(b"GET /style.css HTTP/1.0\r\n\r\n")
            r = Reader(s).response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("connection"), "close")
            self.assertEqual(s.recv(10), b"")

    def test_access_log_lines(self):
        r = self.server.request("/style.css?q=a%20b", headers={"User-Agent": "Test Agent\tx", "Referer": "http://r/"})
        self.assertEqual(r.status, 200)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = self.server.access_log_lines()
            hits = [l for l in lines if " /style.css q=a%20b " in l]
            if hits:
                break
            time.sleep(0.2)
        self.assertTrue(lines[0].startswith("#Software: Gatehouse"))
        self.assertIn("#Version: 1.0", lines)
        self.assertIn("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
                      "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken cs-version x-tls-version", lines)
        self.assertEqual(len(hits), 1, lines[-5:])
        f = hits[0].split(" ")
        self.assertEqual(len(f), 17)
        self.assertEqual(f[15:], ["HTTP/1.1", "-"])
        self.assertEqual(f[2:8], ["127.0.0.1", "GET", "/style.css", "q=a%20b", str(self.server.port), "-"])
        self.assertEqual(f[9:14], ["Test+Agent%09x", "http://r/", "200", "0", "0"])
        self.assertTrue(os.path.basename(os.listdir(os.path.join(self.server.log_dir, "main"))[0]).startswith("u_ex"))


if __name__ == "__main__":
    unittest.main()

"""Routing over real sockets: Host header to site (exact host beats "*"),
longest URL prefix to an application or virtual directory, unknown hosts."""
import os
import unittest

from ghtest import Server, write


class Routing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = None
        cls.server = Server(host="shop.localhost", site="""
[[sites.applications]]
path = "/blog"
app_root = "{root}/blog"
physical_path = "{root}/blog"
pool = "main"

[[sites.virtual_directories]]
path = "/media"
physical_path = "{root}/media"
""")
        root = cls.server.root
        # the site options above need the temp root: rewrite the placeholders
        with open(cls.server.config) as f:
            text = f.read().replace("{root}", root)
        text += f"""
[[sites]]
name = "other"
bindings = ["http://127.0.0.1:{cls.server.port}:*"]
app_root = "{root}/other"
physical_path = "{root}/other"
pool = "main"
"""
        with open(cls.server.config, "w") as f:
            f.write(text)
        write(os.path.join(cls.server.www, "who.txt"), "shop")
        write(os.path.join(cls.server.www, "blogger/who.txt"), "shop-blogger")
        write(os.path.join(root, "blog/who.txt"), "blog")
        write(os.path.join(root, "media/who.txt"), "media")
        write(os.path.join(root, "other/who.txt"), "other")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.close()
        assert code == 0

    def get(self, path, host):
        r = self.server.request(path, host=host)
        return r.status, r.body

    def test_host_selects_site(self):
        self.assertEqual(self.get("/who.txt", "shop.localhost"), (200, b"shop"))
        self.assertEqual(self.get("/who.txt", "SHOP.localhost:%d" % self.server.port), (200, b"shop"))
        self.assertEqual(self.get("/who.txt", "anything.example"), (200, b"other"))

    def test_longest_prefix_on_segment_boundary(self):
        self.assertEqual(self.get("/blog/who.txt", "shop.localhost"), (200, b"blog"))
        self.assertEqual(self.get("/Blog/who.txt", "shop.localhost"), (200, b"blog"))
        self.assertEqual(self.get("/blogger/who.txt", "shop.localhost"), (200, b"shop-blogger"))
        self.assertEqual(self.get("/media/who.txt", "shop.localhost"), (200, b"media"))
        r = self.server.request("/blog", host="shop.localhost")
        self.assertEqual((r.status, r.header("location")), (301, "/blog/"))

    def test_dot_dot_cannot_leave_a_mount(self):
        # canonicalised before routing: /blog/../who.txt is the root site's file
        self.assertEqual(self.get("/blog/../who.txt", "shop.localhost"), (200, b"shop"))


class UnknownHost(unittest.TestCase):
    def test_unknown_host_is_400(self):
        server = Server(host="only.localhost")
        write(os.path.join(server.www, "a.txt"), "a")
        try:
            server.start()
            r = server.request("/a.txt", host="other.localhost")
            self.assertEqual(r.status, 400)
            self.assertIn(b"Invalid Hostname", r.body)
            self.assertEqual(r.header("connection"), "close")
            self.assertEqual(server.request("/a.txt", host="only.localhost").body, b"a")
            self.assertEqual(server.stop(), 0)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

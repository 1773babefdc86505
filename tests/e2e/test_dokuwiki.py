"""DokuWiki from Debian's package under Gatehouse (issue 13): a private copy,
the split scheme (a pool account, an anonymous account, fastcgi.impersonate
= 0), `check`, `perms apply`, `serve`, then as a visitor and an editor over
real HTTP: the home page, pretty URLs through IIS-style rewrite rules, an
edit, a media upload shown to an anonymous visitor, data/ and conf/ refused,
and `perms audit` clean after all of it (and failing on tampering)."""
import json
import os
import pwd
import re
import subprocess
import tomllib
import unittest

from apps import dokuwiki
from apps.site import AppSite, Browser, Forms, imported_site, require, same_request_filtering

EDITOR, PASSWORD = "editor", "Gatehouse-editor-1"
LOGO = os.path.join(dokuwiki.DATA, "media/wiki/dokuwiki-128.png")


class DokuWiki(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require(cls, "dokuwiki", dokuwiki.CODE)
        s = cls.site = AppSite("dokuwiki", "dw")
        try:
            os.chmod(s.root, 0o755)  # as /srv or /var/www: other accounts may walk to the application root
            dokuwiki.install(s.app_root, users=[(EDITOR, PASSWORD, "user")])
            s.write_php_ini()
            # Debian's DokuWiki reads jQuery from /usr/share/javascript and
            # GeSHi from /usr/share/php-geshi: the workers' Landlock sandbox is
            # told so, as an administrator would (/usr/share/php is in by default).
            s.write_config(f"""default_documents = ["doku.php"]
writable = ["{s.app_root}/data"]
{dokuwiki.REQUEST_FILTERING}
{dokuwiki.REWRITE}""")
            with open(s.config) as f:
                text = f.read()
            with open(s.config, "w") as f:
                f.write(text.replace("[pools.fastcgi]", '[pools.sandbox]\nread = ["/usr/share/javascript", "/usr/share/php-geshi"]\n\n'
                                                         "[pools.fastcgi]", 1))
            s.check_and_apply()
            s.serve()
        except BaseException:
            s.close()
            raise
        cls.visitor = Browser(s.base)

    @classmethod
    def tearDownClass(cls):
        out, errors = cls.site.output(), cls.site.php_errors()
        code = cls.site.close()
        assert code == 0, f"gatehouse exited with {code}: {out}"
        assert "Fatal" not in errors, errors

    def editor(self):
        b = Browser(self.site.base)
        form = Forms(b.get("/start?do=login").text).find(id="dw__login")
        r = b.post(form["attrs"]["action"] + "?do=login", {**form["fields"], "u": EDITOR, "p": PASSWORD})
        self.assertEqual(r.status, 200, r)
        self.assertIn("Logged in as", r.text)
        return b

    def test_0_the_rules_are_what_import_iis_makes_of_the_web_config(self):
        site, report = imported_site("dokuwiki")
        self.assertEqual(site["rewrite"], tomllib.loads(dokuwiki.REWRITE)["sites"]["rewrite"], report)
        same_request_filtering(self, site, dokuwiki.REQUEST_FILTERING)
        self.assertTrue(report.endswith(" 0 not mapped\n"), report)  # nothing of the web.config is lost

    def test_1_anonymous_home_page(self):
        self.assertNotIn("plan is not applied", self.site.output())  # perms apply ran: serve finds it so
        r = self.visitor.get("/")
        self.assertEqual(r.status, 200, self.site.output())
        self.assertIn("Welcome to your new DokuWiki", r.text)
        self.assertIn("<title>start [Gatehouse DokuWiki]</title>", r.text)
        self.assertIn('href="/start?do=login', r.text)  # userewrite = 1: DokuWiki writes pretty links
        for asset in re.findall(r'(?:href|src)="(/lib/(?:exe|tpl)/[^"]+)"', r.text)[:8]:
            a = self.visitor.get(asset.replace("&amp;", "&"))
            self.assertEqual(a.status, 200, asset)
        jquery = self.visitor.get("/lib/exe/jquery.php")
        self.assertIn(b"jQuery", jquery.body[:2000])  # from /usr/share/javascript, through the sandbox's read list

    def test_2_pretty_urls_through_rewrite_rules(self):
        v = self.visitor
        page = v.get("/wiki:syntax")
        self.assertEqual(page.status, 200)
        self.assertIn("Formatting Syntax", page.text)
        with open(os.path.join(dokuwiki.DATA, "pages/wiki/welcome.txt"), "rb") as f:
            self.assertEqual(v.get("/_export/raw/wiki:welcome").body, f.read())
        with open(LOGO, "rb") as f:
            logo = v.get("/_media/wiki:dokuwiki-128.png")
            self.assertEqual((logo.status, logo.headers["Content-Type"], logo.body), (200, "image/png", f.read()))
        self.assertIn("dokuwiki-128.png", v.get("/_detail/wiki:dokuwiki-128.png").text)
        self.assertIn("Welcome to your new DokuWiki", v.get("/index.php").text)  # the index.php rule
        self.assertIn("Formatting Syntax", v.get("/wiki:syntax?do=export_xhtml").text)  # query appended
        missing = v.get("/no:such:page")  # through the page rule: DokuWiki's own page (200 unless send404)
        self.assertEqual(missing.status, 200)
        self.assertIn("This topic does not exist yet", missing.text)
        static = v.get("/lib/tpl/dokuwiki/images/logo.png")  # an existing file is not rewritten
        self.assertEqual((static.status, static.headers["Content-Type"]), (200, "image/png"))

    def test_3_edit_saved_as_a_logged_in_user(self):
        b = self.editor()
        form = Forms(b.get("/gatehouse:notes?do=edit").text).find(id="dw__editform")
        fields = {**form["fields"], "wikitext": "====== Notes ======\nSaved through Gatehouse: marker-7341\n",
                  "summary": "from the test", "do[save]": "1"}
        r = b.post(form["attrs"]["action"], fields)
        self.assertEqual(r.status, 200, r)
        page = self.visitor.get("/gatehouse:notes")
        self.assertEqual(page.status, 200)
        self.assertIn("marker-7341", page.text)
        saved = os.path.join(self.site.app_root, "data/pages/gatehouse/notes.txt")
        self.assertEqual(pwd.getpwuid(os.stat(saved).st_uid).pw_name, self.site.pool_account)  # PHP ran as the pool
        self.assertEqual(os.stat(saved).st_mode & 0o777, 0o644)  # DokuWiki's fmode: the audit must not cry wolf

    def test_4_upload_shown_to_an_anonymous_visitor(self):
        b = self.editor()
        form = Forms(b.get("/start?do=media&ns=wiki&tab_files=upload").text).find(id="dw__upload")
        with open(LOGO, "rb") as f:
            png = f.read()
        r = b.post_multipart(form["attrs"]["action"], {**form["fields"], "mediaid": "gatehouse.png"},
                             {"upload": ("gatehouse.png", "image/png", png)})
        self.assertIn("Upload successful", r.text)
        seen = self.visitor.get("/_media/wiki:gatehouse.png")
        self.assertEqual((seen.status, seen.body), (200, png))
        self.assertIn("gatehouse.png", self.visitor.get("/_detail/wiki:gatehouse.png").text)

    def test_5_hidden_segments_are_checked_on_the_url_as_sent(self):
        # Not files, so the page rule would hand them to doku.php: IIS's request
        # filtering sees the URL before the rewrite rules do (404.8 either way).
        for path in ("/DATA/pages/start.txt", "/conf/missing.php", "/Vendor/x", "/data/nothing"):
            r = self.visitor.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"DokuWiki", r.body, path)

    def test_5_data_and_conf_are_refused(self):
        secrets = [b"Saved through Gatehouse", b"$2y$", b"editor@example.org", b"<?php", b"savedir"]
        for path in ("/data/pages/start.txt", "/data/", "/data", "/conf/users.auth.php", "/conf/local.php",
                     "/conf/acl.auth.php", "/data/pages/gatehouse/notes.txt", "/data/media/wiki/gatehouse.png",
                     "/inc/init.php", "/bin/dwpage.php", "/vendor/autoload.php", "/%64ata/pages/start.txt",
                     "/lib/../data/pages/start.txt", "/data%2Fpages%2Fstart.txt",
                     "/lib/plugins/../../conf/local.php", "/data/cache/"):
            r = self.visitor.get(path)
            self.assertIn(r.status, (400, 404), path)
            for secret in secrets:
                self.assertNotIn(secret, r.body, path)

    def test_9_audit_clean_after_use_and_failing_on_tampering(self):
        s = self.site
        code, out, err = s.audit()
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"^\d+ paths examined: 0 findings(, \d+ info notes? \(--verbose shows them\))?\n$")
        code, out, _ = s.audit("--json")
        self.assertEqual(code, 0, out)
        for note in json.loads(out)["findings"]:  # DokuWiki's 0644 files: behind the application root's other::---
            self.assertEqual(note["severity"], "info", note)
            self.assertIn(f"{s.app_root} (other::---) stops them", note["detail"])
        pages = os.path.join(s.app_root, "data/pages")
        tampering = [
            ("chmod o+w on the application root (reachable: its parent is 0755)",
             ["chmod", "o+rwx", s.app_root], r"HIGH\s+open-write \(1\)\n  fix: chmod g-w,o-w "),
            ("an extra ACL entry", ["setfacl", "-m", "u:nobody:rwx", pages], r"MEDIUM\s+extra-access \(1\)"),
            ("a removed grant", ["setfacl", "-x", f"u:{s.pool_account}", pages], r"MEDIUM\s+missing-grant \(\d+\)"),
        ]
        try:
            for what, command, expected in tampering:
                subprocess.run(command, check=True)
                code, out, err = s.audit()
                self.assertEqual(code, 1, f"{what}: {out}{err}")
                self.assertRegex(out, expected, what)
                s.check_and_apply()  # puts the plan back
                code, out, err = s.audit()
                self.assertEqual(code, 0, f"after apply, {what}: {out}{err}")
        finally:
            s.check_and_apply()


if __name__ == "__main__":
    unittest.main()

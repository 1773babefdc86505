"""MediaWiki from Debian's package on SQLite under Gatehouse (issue 13): a
private copy installed with maintenance/install.php, an editor made with
createAndPromote.php, the split scheme after `perms apply`, then over real
HTTP: the home page, short URLs (/wiki/Page) through an IIS-style rewrite
rule, an edit, Special:Upload shown to an anonymous visitor,
LocalSettings.php never shown, composer.json, vendor/ and mw-config/
refused by request filtering, and `perms audit` clean after all of it."""
import hashlib
import json
import os
import pwd
import tomllib
import unittest

from apps import mediawiki
from apps.site import AppSite, Browser, Forms, imported_site, require, same_request_filtering

EDITOR, PASSWORD = "Editor", "Gatehouse-editor-1"
PNG = "/usr/share/mediawiki/resources/assets/poweredby_mediawiki_88x31.png"


class MediaWiki(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require(cls, "mediawiki", mediawiki.CODE)
        s = cls.site = AppSite("mediawiki", "mw")
        try:
            os.chmod(s.root, 0o755)  # as /srv or /var/www
            cls.data = os.path.join(s.root, "mwdata")  # the SQLite database, outside the web root
            os.makedirs(cls.data)
            mediawiki.copy(s.app_root)
            mediawiki.install(s.app_root, cls.data, s.base, "Admin", "Gatehouse-admin-1")
            mediawiki.configure(s.app_root)
            mediawiki.create_user(s.app_root, EDITOR, PASSWORD)
            s.write_php_ini("memory_limit = 256M\n")
            s.write_config(f"""default_documents = ["index.php"]
writable = ["{s.app_root}/images", "{s.app_root}/cache", "{cls.data}"]
{mediawiki.REQUEST_FILTERING}
{mediawiki.REWRITE}""")
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
        form = Forms(b.get("/wiki/Special:UserLogin").text).find(name="userlogin")
        r = b.post(form["attrs"]["action"], {**form["fields"], "wpName": EDITOR, "wpPassword": PASSWORD,
                                             "wploginattempt": "Log in"})
        self.assertEqual(r.status, 200, r)
        self.assertIn('"wgUserName":"Editor"', r.text)
        return b

    def test_0_the_rules_are_what_import_iis_makes_of_the_web_config(self):
        site, report = imported_site("mediawiki")
        self.assertEqual(site["rewrite"], tomllib.loads(mediawiki.REWRITE)["sites"]["rewrite"], report)
        same_request_filtering(self, site, mediawiki.REQUEST_FILTERING)
        self.assertTrue(report.endswith(" 0 not mapped\n"), report)  # nothing of the web.config is lost

    def test_1_anonymous_home_page(self):
        self.assertNotIn("plan is not applied", self.site.output())  # perms apply ran: serve finds it so
        r = self.visitor.get("/", follow=False)
        self.assertEqual((r.status, r.headers["Location"]), (301, f"{self.site.base}/wiki/Main_Page"))
        r = self.visitor.get("/")
        self.assertEqual(r.status, 200, self.site.output())
        self.assertIn("MediaWiki has been installed", r.text)
        self.assertIn("<title>Gatehouse Wiki</title>", r.text)  # the main page shows the site name
        self.assertIn('"wgUserName":null', r.text)
        logo = self.visitor.get("/resources/assets/poweredby_mediawiki_88x31.png")  # a static file, read as IUSR
        self.assertEqual((logo.status, logo.headers["Content-Type"]), (200, "image/png"))
        startup = self.visitor.get("/load.php?modules=startup&only=scripts&skin=vector")
        self.assertEqual(startup.status, 200)
        self.assertIn(b"mw.loader", startup.body)

    def test_2_short_urls_through_the_rewrite_rule(self):
        v = self.visitor
        page = v.get("/wiki/Main_Page")
        self.assertEqual(page.status, 200)
        self.assertIn('href="/wiki/Special:RecentChanges"', page.text)  # $wgArticlePath = "/wiki/$1"
        self.assertIn("Installed software", v.get("/wiki/Special:Version").text)
        history = v.get("/wiki/Main_Page?action=history")  # the query string is appended
        self.assertIn('"wgAction":"history"', history.text)
        odd = v.get("/wiki/A%26B%3F_%C3%A9t%C3%A9")  # {UrlEncode:{R:1}}: '&', '?' and UTF-8 stay in the title
        self.assertEqual(odd.status, 404)  # MediaWiki's own answer for a page not yet written
        self.assertIn("<title>A&amp;B? été - Gatehouse Wiki</title>", odd.text)

    def test_3_edit_saved_as_a_logged_in_user(self):
        b = self.editor()
        form = Forms(b.get("/index.php?title=Gatehouse_notes&action=edit").text).find(id="editform")
        r = b.post(form["attrs"]["action"], {**form["fields"], "wpTextbox1": "Saved through Gatehouse: marker-5681\n",
                                             "wpSummary": "from the test", "wpSave": "Save page"})
        self.assertEqual(r.status, 200, r)
        page = self.visitor.get("/wiki/Gatehouse_notes")
        self.assertEqual(page.status, 200)
        self.assertIn("marker-5681", page.text)
        self.assertIn("Editor", self.visitor.get("/wiki/Gatehouse_notes?action=history").text)

    def test_4_upload_shown_to_an_anonymous_visitor(self):
        b = self.editor()
        form = Forms(b.get("/wiki/Special:Upload").text).find(id="mw-upload-form")
        with open(PNG, "rb") as f:
            png = f.read()
        r = b.post_multipart(form["attrs"]["action"],
                             {**form["fields"], "wpDestFile": "Gatehouse_upload.png",
                              "wpUploadDescription": "uploaded by the test", "wpUpload": "Upload file"},
                             {"wpUploadFile": ("gatehouse.png", "image/png", png)})
        self.assertEqual((r.status, r.url), (200, f"{self.site.base}/wiki/File:Gatehouse_upload.png"), r)
        page = self.visitor.get("/wiki/File:Gatehouse_upload.png")
        self.assertEqual(page.status, 200)
        self.assertIn('href="/images/', page.text)
        digest = hashlib.md5(b"Gatehouse_upload.png").hexdigest()  # MediaWiki's hashed upload folders
        url = f"/images/{digest[0]}/{digest[:2]}/Gatehouse_upload.png"
        self.assertIn(f'href="{url}"', page.text)
        image = self.visitor.get(url)  # a static file, read as the anonymous account
        self.assertEqual((image.status, image.body), (200, png))
        stored = os.path.join(self.site.app_root, url[1:])
        self.assertEqual(pwd.getpwuid(os.stat(stored).st_uid).pw_name, self.site.pool_account)

    def test_5_protected_paths(self):
        v = self.visitor
        settings = v.get("/LocalSettings.php")  # runs (and exits at once): its source is never sent
        for variant in ("/LocalSettings.php", "/LocalSettings.php/", "/LocalSettings.php%00", "/LocalSettings.php.",
                        "/LocalSettings.php%20", "/localsettings.php", "/LocalSettings.PHP", "/./LocalSettings.php",
                        "/wiki/../LocalSettings.php", "/images/../LocalSettings.php", "/wiki/LocalSettings.php"):
            r = v.get(variant)
            for secret in (b"wgSecretKey", b"<?php", b"wgDBtype", b"sqlite"):
                self.assertNotIn(secret, r.body, variant)
        self.assertEqual(settings.body, b"")
        for path in ("/composer.json", "/vendor/composer/installed.json", "/vendor/autoload.php", "/mw-config/",
                     "/mw-config/index.php", "/includes/WebStart.php", "/maintenance/install.php",
                     "/cache/l10n_cache-en.cdb", "/skins/Vector/skin.json", "/languages/i18n/en.json",
                     "/Composer.JSON", "/MW-CONFIG/index.php", "/images/.htaccess"):
            r = v.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"<?php", r.body, path)

    def test_6_scripts_never_run_from_the_upload_folder(self):
        evil = os.path.join(self.site.app_root, "images/evil.php")  # as if an upload had got past MediaWiki
        with open(evil, "w") as f:
            f.write("<?php echo 'RAN ' . get_current_user();")
        try:
            r = self.visitor.get("/images/evil.php")
            self.assertEqual(r.status, 404)
            self.assertNotIn(b"RAN", r.body)
            self.assertNotIn(b"<?php", r.body)
        finally:
            os.remove(evil)

    def test_9_audit_clean_after_use(self):
        code, out, err = self.site.audit()
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"^\d+ paths examined: 0 findings(, \d+ info notes? \(--verbose shows them\))?\n$")
        code, out, _ = self.site.audit("--json")
        for note in json.loads(out)["findings"]:
            self.assertEqual(note["severity"], "info", note)


if __name__ == "__main__":
    unittest.main()

"""`gatehouse import iis` as an administrator runs it: the report and exit
codes for the fixture server, hostile inputs, and `gatehouse check` accepting
the imported configuration once its folders exist."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import tomllib
import unittest

from ghtest import BIN, write

FIXTURES = os.path.join(os.environ.get("GH_SOURCE_DIR", "../.."), "tests/fixtures/iis")
APPHOST = os.path.join(FIXTURES, "applicationHost.config")


def run(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def fixture_maps(sites, rest):
    return ["--path-map", f"C:\\Sites={sites}", "--path-map", f"C:\\inetpub\\wwwroot={rest}/www",
            "--path-map", f"D:\\Media={rest}/media", "--path-map", f"C:\\PHP={rest}/php"]


class ImportFixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="gh-iis-")
        self.out = os.path.join(self.tmp.name, "imported.toml")

    def tearDown(self):
        self.tmp.cleanup()

    def import_rich(self, *extra):
        return run("import", "iis", "--applicationhost", APPHOST, "--web-config", os.path.join(FIXTURES, "sites"),
                   *fixture_maps(os.path.join(FIXTURES, "sites"), self.tmp.name), "--out", self.out, *extra)

    def test_report_lists_every_outcome_with_file_and_line_and_exits_1(self):
        r = self.import_rich()
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[-1], r"^\d+ mapped, \d+ approximated, \d+ not mapped$")
        report = r.stdout
        self.assertIn("applicationHost.config:86: sites/site[@name='shop']/binding[https *:443:shop.example.com]: "
                      "not-mapped: HTTPS", report)
        self.assertIn("intranet/web.config:12: system.webServer/security/authentication/windowsAuthentication: "
                      "not-mapped: the section is locked", report)
        self.assertIn("applicationHost.config:231: system.webServer/security/authentication/basicAuthentication "
                      "at 'shop/wp-admin': not-mapped", report)
        self.assertIn("shop/public/web.config:42: rewrite rule 'WordPress: http://shop.example.com': approximated",
                      report)
        with open(self.out, "rb") as f:
            imported = tomllib.load(f)
        shop = next(s for s in imported["sites"] if s["name"] == "shop")
        self.assertEqual([r["name"] for r in shop["rewrite"]],
                         ["Canonical host", "Block xmlrpc", "WordPress: http://shop.example.com"])
        self.assertEqual(shop["applications"][0]["path"], "/php")
        self.assertEqual(shop["applications"][0]["authentication"]["anonymous"]["user"], "pool")
        # requestFiltering and a static-only upload folder (accessPolicy="Read") carry over (issue 17)
        self.assertEqual(shop["request_filtering"]["hidden_segments"], ["web.config", "bin", "app_data", "wp-config.php"])
        self.assertEqual(shop["request_filtering"]["denied_extensions"], [".config", ".inc", ".bak"])
        self.assertEqual(shop["handler_policies"], [{"path": "/wp-content/uploads", "scripts": False}])
        self.assertRegex(report, r"applicationHost.config:\d+: handlers@accessPolicy \(/wp-content/uploads\): mapped: "
                                 r"accessPolicy 'Read' -> \[\[sites.handler_policies\]\]")

    def test_json_report_has_the_same_items(self):
        text = self.import_rich()
        r = self.import_rich("--json")
        self.assertEqual(r.returncode, 1)
        report = json.loads(r.stdout)
        self.assertEqual(len(report["items"]), len(text.stdout.splitlines()) - 1)
        self.assertEqual(report["not_mapped"], sum(1 for i in report["items"] if i["outcome"] == "not-mapped"))
        first = report["items"][0]
        self.assertEqual(set(first), {"file", "line", "element", "outcome", "reason"})

    def test_without_out_the_configuration_goes_to_stdout_and_the_report_to_stderr(self):
        r = run("import", "iis", "--applicationhost", APPHOST, *fixture_maps("/srv/sites", "/srv"))
        self.assertEqual(r.returncode, 1)
        self.assertTrue(tomllib.loads(r.stdout)["pools"])
        self.assertIn(" not mapped", r.stderr.splitlines()[-1])

    def test_web_config_per_site(self):
        r = run("import", "iis", "--applicationhost", APPHOST, *fixture_maps("/srv/sites", "/srv"),
                "--web-config", "intranet=" + os.path.join(FIXTURES, "sites/intranet/web.config"), "--out", self.out)
        self.assertIn("intranet/web.config:12:", r.stdout)
        self.assertNotIn("shop/public/web.config", r.stdout)


class CheckAcceptsTheImport(unittest.TestCase):
    def test_check_accepts_the_imported_configuration_once_its_folders_exist(self):
        with tempfile.TemporaryDirectory(prefix="gh-iis-") as tmp:
            out = os.path.join(tmp, "imported.toml")
            # applicationHost.config alone: no web.config, so no rewrite rules.
            r = run("import", "iis", "--applicationhost", APPHOST, *fixture_maps(f"{tmp}/sites", tmp),
                    "--user-map", "CONTOSO\\svc-intranet=www-data", "--out", out)
            self.assertEqual(r.returncode, 1, r.stderr)  # the report still lists what was left out
            with open(out, "rb") as f:
                imported = tomllib.load(f)
            before = run("check", "--config", out)
            self.assertEqual(before.returncode, 1)  # the folders do not exist yet
            for site in imported["sites"]:
                os.makedirs(site["physical_path"], exist_ok=True)
                for app in site.get("applications", []):
                    os.makedirs(app["physical_path"], exist_ok=True)
                for vdir in site.get("virtual_directories", []):
                    os.makedirs(vdir["physical_path"], exist_ok=True)
            for pool in imported["pools"]:
                if "php_ini" in pool:
                    write(pool["php_ini"], "fastcgi.impersonate = 0\n")
            r = run("check", "--config", out)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("configuration OK", r.stdout)
            self.assertIn("IntranetPool", r.stdout)

    def test_check_accepts_the_import_with_web_config_rewrite_rules(self):
        with tempfile.TemporaryDirectory(prefix="gh-iis-") as tmp:
            sites = os.path.join(tmp, "sites")
            shutil.copytree(os.path.join(FIXTURES, "sites"), sites)
            out = os.path.join(tmp, "imported.toml")
            r = run("import", "iis", "--applicationhost", APPHOST, "--web-config", sites, *fixture_maps(sites, tmp),
                    "--user-map", "CONTOSO\\svc-intranet=www-data", "--out", out)
            self.assertEqual(r.returncode, 1, r.stderr)
            with open(out, "rb") as f:
                imported = tomllib.load(f)
            shop = next(s for s in imported["sites"] if s["name"] == "shop")
            self.assertIn("WordPress", " ".join(rule["name"] for rule in shop["rewrite"]))
            for site in imported["sites"]:
                os.makedirs(site["physical_path"], exist_ok=True)
                for item in site.get("applications", []) + site.get("virtual_directories", []):
                    os.makedirs(item["physical_path"], exist_ok=True)
            for pool in imported["pools"]:
                if "php_ini" in pool:
                    write(pool["php_ini"], "fastcgi.impersonate = 0\n")
            r = run("check", "--config", out)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("configuration OK", r.stdout)
            self.assertIn("!IsFile", r.stdout)  # the WordPress rule, as check prints it

    def test_a_clean_import_exits_0(self):
        with tempfile.TemporaryDirectory(prefix="gh-iis-") as tmp:
            apphost = os.path.join(tmp, "applicationHost.config")
            write(apphost, """<configuration><system.applicationHost>
  <applicationPools><add name="blog"><processModel identityType="ApplicationPoolIdentity"/></add></applicationPools>
  <sites><site name="blog" id="1"><application path="/" applicationPool="blog">
    <virtualDirectory path="/" physicalPath="C:\\Sites\\blog"/></application>
    <bindings><binding protocol="http" bindingInformation="127.0.0.1:8080:blog.local"/></bindings></site></sites>
</system.applicationHost>
<system.webServer>
  <fastCgi><application fullPath="C:\\PHP\\php-cgi.exe" arguments="-c C:\\Sites\\blog.ini" instanceMaxRequests="500"/></fastCgi>
  <handlers><add name="PHP" path="*.php" verb="*" modules="FastCgiModule" scriptProcessor="C:\\PHP\\php-cgi.exe|-c C:\\Sites\\blog.ini" resourceType="File"/></handlers>
  <security><authentication><anonymousAuthentication enabled="true" userName=""/></authentication></security>
</system.webServer></configuration>""")
            out = os.path.join(tmp, "out.toml")
            r = run("import", "iis", "--applicationhost", apphost, "--path-map", f"C:\\Sites={tmp}/sites",
                    "--out", out)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertTrue(r.stdout.endswith(" 0 not mapped\n"))
            with open(out, "rb") as f:
                imported = tomllib.load(f)
            self.assertEqual(imported["pools"][0]["php_ini"], f"{tmp}/sites/blog.ini")
            self.assertEqual(imported["pools"][0]["fastcgi"]["instance_max_requests"], 500)
            self.assertEqual(imported["sites"][0]["authentication"]["anonymous"]["user"], "pool")


class HostileInput(unittest.TestCase):
    def import_file(self, path, *extra):
        return run("import", "iis", "--applicationhost", path, "--path-map", "C:\\Sites=/srv/sites", *extra,
                   timeout=20)

    def test_billion_laughs_is_refused_quickly(self):
        start = time.monotonic()
        r = self.import_file(os.path.join(FIXTURES, "hostile/billion-laughs.config"))
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(r.returncode, 2)
        self.assertIn("billion-laughs.config:2:1: DOCTYPE or ENTITY declaration refused", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_external_entity_is_never_followed(self):
        r = self.import_file(os.path.join(FIXTURES, "hostile/external-entity.config"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("external-entity.config:2:1: DOCTYPE or ENTITY declaration refused", r.stderr)
        self.assertNotIn("root:", r.stdout + r.stderr)

    def test_malformed_xml_names_line_and_column(self):
        r = self.import_file(os.path.join(FIXTURES, "hostile/malformed.config"))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"malformed\.config:6:\d+: XML error: Start-end tags mismatch")

    def test_huge_file_is_refused(self):
        with tempfile.NamedTemporaryFile(suffix=".config") as f:
            f.write(b"<configuration>" + b" " * (9 << 20) + b"</configuration>")
            f.flush()
            r = self.import_file(f.name)
        self.assertEqual(r.returncode, 2)
        self.assertIn("file too large", r.stderr)

    def test_dotdot_paths_and_bad_ports_are_reported_not_imported(self):
        r = self.import_file(os.path.join(FIXTURES, "hostile/dotdot-and-bad-port.config"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("a '..' segment in C:\\Sites\\climber\\..\\..\\Windows\\System32", r.stderr)
        self.assertIn("expected a port from 1 to 65535, got \"99999\"", r.stderr)
        self.assertNotIn("..", r.stdout)

    def test_a_bad_path_map_is_refused(self):
        r = run("import", "iis", "--applicationhost", APPHOST, "--path-map", "C:\\Sites")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--path-map: expected WINDOWS=LINUX", r.stderr)


if __name__ == "__main__":
    unittest.main()

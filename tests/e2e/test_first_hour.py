"""The first hour of a new administrator (issue 17): the isolation mistakes
`check` must catch, sharing on purpose, and the audit of live grants that
cross pools; messages and exit codes as the user sees them."""
import json
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from ghtest import BIN, free_port, write
from test_identity import delete_account, require_root


def run(*args, timeout=120):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class TwoSites:
    """A wiki and an upload site in two pools, each in its own folder under a
    temporary root; `up_extra` adds lines to the upload site's table."""

    def __init__(self, up_extra="", tag=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="gh-fh-")
        self.root = self.tmp.name
        os.chmod(self.root, 0o711)
        self.tag = tag or secrets.token_hex(3)
        self.pools = {"wiki": "fhw" + self.tag, "up": "fhu" + self.tag}
        self.anonymous = "gh-fha-" + self.tag
        for d in ("wiki/public", "wiki/data", "wiki/sessions", "wiki/uploads", "up/public", "up/sessions",
                  "up/uploads", "up/code"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        for s in ("wiki", "up"):
            write(os.path.join(self.root, s, "php.ini"),
                  f'session.save_path = "{self.root}/{s}/sessions"\nupload_tmp_dir = "{self.root}/{s}/uploads"\n')
            write(os.path.join(self.root, s, "public", "index.php"), "<?php echo 'hi';\n")
        write(os.path.join(self.root, "wiki", "data", "page.txt"), "secret page\n")
        self.port = free_port()
        self.config = os.path.join(self.root, "gatehouse.toml")
        self.write_config(up_extra)

    def write_config(self, up_extra=""):
        r = self.root
        with open(self.config, "w") as f:
            f.write(f"""[server]
state_dir = "{r}/state"
log_dir = "{r}/log"

[accounts]
anonymous = "{self.anonymous}"

[[pools]]
name = "{self.pools['wiki']}"
php_ini = "{r}/wiki/php.ini"

[[pools]]
name = "{self.pools['up']}"
php_ini = "{r}/up/php.ini"

[[sites]]
name = "wiki"
bindings = ["http://127.0.0.1:{self.port}:wiki.test"]
app_root = "{r}/wiki"
physical_path = "{r}/wiki/public"
pool = "{self.pools['wiki']}"
writable = ["{r}/wiki/data"]

[[sites]]
name = "up"
bindings = ["http://127.0.0.1:{self.port}:up.test"]
physical_path = "{r}/up/public"
pool = "{self.pools['up']}"
{up_extra}
""")

    def line_of(self, text):
        """The number of the last line holding `text`."""
        with open(self.config) as f:
            found = [n for n, line in enumerate(f, 1) if text in line]
        if not found:
            raise AssertionError(f"{text!r} not in the configuration")
        return found[-1]

    def close(self):
        self.tmp.cleanup()


class OverlappingTrees(unittest.TestCase):
    def setUp(self):
        self.s = TwoSites()
        self.addCleanup(self.s.close)

    def check(self, up_extra):
        self.s.write_config(up_extra)
        return run("check", "--config", self.s.config)

    def test_writable_inside_another_sites_tree_is_an_error_naming_both_places(self):
        code, out, err = self.check(f'writable = ["{self.s.root}/wiki/data"]')
        self.assertEqual(code, 1, out + err)
        self.assertNotIn("configuration OK", out)
        line = self.s.line_of(f'writable = ["{self.s.root}/wiki/data"]')
        root_line = self.s.line_of(f'app_root = "{self.s.root}/wiki"')
        self.assertRegex(err, rf"gatehouse\.toml:{line}:\d+: key 'sites\[1\]\.writable\[0\]': "
                              rf"\"{self.s.root}/wiki/data\" lies inside app_root \"{self.s.root}/wiki\" of site wiki")
        self.assertRegex(err, rf"sites\[0\]\.app_root at \S+gatehouse\.toml:{root_line}:\d+\)")
        self.assertIn(f"pool {self.s.pools['up']} gets modify rights in pool {self.s.pools['wiki']}'s files", err)
        self.assertIn(f'share_with = ["{self.s.pools["wiki"]}"]', err)

    def test_app_root_containing_another_site_is_an_error(self):
        code, out, err = self.check(f'app_root = "{self.s.root}"')
        self.assertEqual(code, 1, out + err)
        self.assertIn(f"key 'sites[1].app_root': \"{self.s.root}\" contains app_root \"{self.s.root}/wiki\" "
                      f"of site wiki", err)
        self.assertIn(f"pool {self.s.pools['up']} gets read rights in pool {self.s.pools['wiki']}'s files", err)
        # every problem is reported at once, each naming file:line:column
        for line in err.strip().splitlines():
            self.assertRegex(line, r"^\S+gatehouse\.toml:\d+:\d+: key '")

    def test_plan_and_audit_refuse_the_mistake_too(self):
        self.s.write_config(f'writable = ["{self.s.root}/wiki/data"]')
        for sub in ("plan", "audit"):
            code, out, err = run("perms", sub, "--config", self.s.config)
            self.assertIn("lies inside app_root", err, sub)
            self.assertEqual(code, 1 if sub == "plan" else 2, sub + out + err)

    def test_sharing_on_purpose_is_a_loud_warning_repeated_after_ok(self):
        code, out, err = self.check(f'writable = ["{self.s.root}/wiki/data"]\n'
                                    f'share_with = ["{self.s.pools["wiki"]}"]')
        self.assertEqual(code, 0, out + err)
        self.assertIn("warning: ", err)
        self.assertIn("SHARED ON PURPOSE (share_with)", err)
        tail = out[out.index("configuration OK"):]
        self.assertTrue(tail.startswith("configuration OK, with 1 warning:\n"), tail)
        self.assertIn("NOT isolated from each other in this folder", tail)

    def test_web_root_outside_its_app_root_warns(self):
        code, out, err = self.check(f'app_root = "{self.s.root}/up/code"')
        self.assertEqual(code, 0, out + err)
        self.assertIn(f"physical_path \"{self.s.root}/up/public\" is outside app_root \"{self.s.root}/up/code\"", err)
        self.assertIn("configuration OK, with 1 warning:", out)

    def test_separate_trees_pass_without_warnings(self):
        code, out, err = self.check("")
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        self.assertTrue(out.rstrip().endswith("configuration OK"), out[-200:])


class CheckBeforeTheFirstRequest(unittest.TestCase):
    def setUp(self):
        self.s = TwoSites()
        self.addCleanup(self.s.close)

    def test_php_cli_is_not_a_fastcgi_php_cgi(self):
        with open(self.s.config) as f:
            text = f.read()
        with open(self.s.config, "w") as f:
            f.write(text.replace(f'name = "{self.s.pools["up"]}"\n',
                                 f'name = "{self.s.pools["up"]}"\nphp_cgi = "/usr/bin/php"\n', 1))
        code, out, err = run("check", "--config", self.s.config)
        self.assertEqual(code, 1, out + err)
        line = self.s.line_of('php_cgi = "/usr/bin/php"')
        self.assertRegex(err, rf"gatehouse\.toml:{line}:\d+: key 'pools\[1\]\.php_cgi': expected a FastCGI php-cgi "
                              r"\(its -v names \"cgi-fcgi\"\), got \"/usr/bin/php\", whose -v says \"PHP [^\"]*\(cli\)")
        self.assertIn("every PHP request would fail with 502", err)
        self.assertNotIn("configuration OK", out)

    def test_two_pools_sharing_one_php_ini_is_one_error(self):
        with open(self.s.config) as f:
            text = f.read()
        with open(self.s.config, "w") as f:
            f.write(text.replace(f'{self.s.root}/up/php.ini', f'{self.s.root}/wiki/php.ini'))
        code, out, err = run("check", "--config", self.s.config)
        self.assertEqual(code, 1, out + err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(f"is also the php.ini of pool {self.s.pools['wiki']}", err)
        self.assertIn("give each pool its own php.ini", err)


class CrossPoolAudit(unittest.TestCase):
    """After apply the audit is clean; a grant for the upload pool inside the
    wiki's tree (made by hand, whatever the configuration says) is high."""

    @classmethod
    def setUpClass(cls):
        require_root(cls)
        cls.s = TwoSites()
        cls.accounts = ["gh-pool-" + p for p in cls.s.pools.values()] + [cls.s.anonymous]
        code, out, err = run("perms", "apply", "--config", cls.s.config)  # creates the accounts too
        if code != 0:
            cls.tearDownClass()
            raise AssertionError(f"apply: {code} {out} {err}")

    @classmethod
    def tearDownClass(cls):
        for name in cls.accounts:
            delete_account(name)
        cls.s.close()

    def audit(self, *extra):
        return run("perms", "audit", "--config", self.s.config, *extra)

    def test_cross_pool_grant_is_a_high_finding(self):
        code, out, err = self.audit()
        self.assertEqual(code, 0, out + err)
        up = "gh-pool-" + self.s.pools["up"]
        page = os.path.join(self.s.root, "wiki", "data", "page.txt")
        data = os.path.dirname(page)
        subprocess.run(["setfacl", "-m", f"u:{up}:rwx", data, page], check=True)
        try:
            code, out, err = self.audit()
            self.assertEqual(code, 1, out + err)
            self.assertRegex(out, r"HIGH\s+cross-pool-access \(\d+\)")
            self.assertIn(up, out)
            code, out, _ = self.audit("--json")
            findings = [f for f in json.loads(out)["findings"] if f["rule"] == "cross-pool-access"]
            self.assertTrue(findings, out)
            self.assertEqual({f["severity"] for f in findings}, {"high"})
            self.assertEqual({f["account"] for f in findings}, {up})
            self.assertIn(page, {f["path"] for f in findings})
        finally:
            subprocess.run(["setfacl", "-x", f"u:{up}", data, page], check=True)

    def test_unreachable_open_bits_are_info_and_reachable_ones_fail(self):
        page = os.path.join(self.s.root, "wiki", "data", "page.txt")
        os.chown(page, pwd.getpwnam("gh-pool-" + self.s.pools["wiki"]).pw_uid, -1)  # PHP wrote it
        os.chmod(page, 0o644)  # what DokuWiki does to the files it writes
        try:
            code, out, err = self.audit()
            self.assertEqual(code, 0, out + err)
            self.assertRegex(out, r"paths examined: 0 findings, 1 info note \(--verbose shows them\)\n$")
            code, out, _ = self.audit("--verbose")
            self.assertEqual(code, 0)
            self.assertRegex(out, r"INFO\s+group-other-open \(1\)")
            self.assertIn(f"{self.s.root}/wiki (other::---) stops them", out)
            wiki = os.path.join(self.s.root, "wiki")
            subprocess.run(["setfacl", "-m", "o::rwx", wiki], check=True)  # tampering: the root opened to everyone
            code, out, _ = self.audit()
            self.assertEqual(code, 1, out)
            self.assertRegex(out, r"LOW\s+group-other-open \(\d+\)")
            self.assertRegex(out, r"\d+ paths examined: \d+ findings? \(.*\d+ low\)")
            for line in out.splitlines():  # not a terminal: 100 columns; a fix stays whole, to be pasted
                if not line.lstrip().startswith("fix: "):
                    self.assertLessEqual(len(line), 100, line)
        finally:
            os.chmod(os.path.join(self.s.root, "wiki"), 0o700)
            run("perms", "apply", "--config", self.s.config)

    def test_impersonation_with_folders_the_visitor_cannot_write_fails_check(self):
        ini = os.path.join(self.s.root, "wiki", "php.ini")
        with open(ini) as f:
            original = f.read()
        self.addCleanup(write, ini, original)
        code, out, err = run("check", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        write(ini, original + "fastcgi.impersonate = 1\n")
        code, out, err = run("check", "--config", self.s.config)
        self.assertEqual(code, 1, out + err)
        for setting, folder in (("upload_tmp_dir", "uploads"), ("session.save_path", "sessions")):
            self.assertIn(f"[pool {self.s.pools['wiki']}] fastcgi.impersonate = 1: PHP runs as {self.s.anonymous} "
                          f"for anonymous requests, and {self.s.anonymous} cannot write {setting} "
                          f"{self.s.root}/wiki/{folder}", err)
        self.assertIn("set fastcgi.impersonate = 0, or give the site the pool identity as anonymous user", err)
        self.assertNotIn(self.s.pools["up"] + "] fastcgi.impersonate", err)  # the other pool does not impersonate

    def test_apply_prints_an_undo_command_that_works_as_pasted(self):
        page = os.path.join(self.s.root, "wiki", "data", "page.txt")
        os.chmod(page, 0o666)
        code, out, err = run("perms", "apply", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        m = re.search(r"\(undo: (gatehouse perms restore --config \S+ \S+)\)", out)
        self.assertTrue(m, out)
        args = m.group(1).split()[1:]
        code, out2, err2 = run(*args)
        self.assertEqual(code, 0, out2 + err2)
        self.assertIn("restored 1 paths", out2)
        self.assertEqual(os.stat(page).st_mode & 0o777, 0o666)
        run("perms", "apply", "--config", self.s.config)


class SetUpInOneCommand(unittest.TestCase):
    """A new configuration, no accounts yet: plan and dry run show them as to
    be created, apply creates them, serve warns until the plan is applied."""

    def setUp(self):
        require_root(self)
        self.s = TwoSites()
        self.accounts = ["gh-pool-" + p for p in self.s.pools.values()] + [self.s.anonymous]
        self.addCleanup(self.s.close)
        self.addCleanup(lambda: [delete_account(a) for a in self.accounts])

    def test_plan_dry_run_apply_and_serve(self):
        code, out, err = run("perms", "plan", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        for a in self.accounts:
            self.assertRegex(out, rf"{re.escape(a)}\s+.*to be created")
        code, out, err = run("perms", "apply", "--dry-run", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        self.assertIn(f"{self.s.root}/wiki: ", out)  # one summary line per folder of the plan
        self.assertIn(f"account gh-pool-{self.s.pools['wiki']}: to be created by perms apply", out)
        self.assertNotIn("  after  access", out)
        code, verbose, _ = run("perms", "apply", "--dry-run", "--verbose", "--config", self.s.config)
        self.assertIn("  after  access", verbose)
        self.assertIn(f"u:gh-pool-{self.s.pools['wiki']}(to be created):", verbose)
        self.assertGreater(len(verbose.splitlines()), len(out.splitlines()))

        server = serve(self.s)  # serve creates the accounts, but the plan is not applied
        try:
            log = server.wait_for("listening on")
            self.assertRegex(log, r"the permission plan is not applied: .*Fix: gatehouse perms apply --config "
                                  + re.escape(self.s.config))
            self.assertIn(f"site wiki", log)
            self.assertIn(f"binding http://127.0.0.1:{self.s.port}:wiki.test: listening on 127.0.0.1:{self.s.port}, "
                          f"open http://wiki.test:{self.s.port}/", log)
            self.assertIn(f"/ -> pool {self.s.pools['wiki']} -> account gh-pool-{self.s.pools['wiki']} -> "
                          f"/usr/bin/php-cgi -> php.ini {self.s.root}/wiki/php.ini", log)
            self.assertIn(f"access log {self.s.root}/log/wiki/", log)
            stamps = re.findall(r"^(\S+) (info|warning|error) ", log, re.M)
            self.assertTrue(stamps, log)
            for stamp, _ in stamps:  # one timestamp format for every line
                self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
        finally:
            server.stop()

        code, out, err = run("perms", "apply", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        server = serve(self.s)
        try:
            log = server.wait_for("listening on")
            self.assertNotIn("plan is not applied", log)
        finally:
            server.stop()

    def test_an_existing_identity_is_named_never_created(self):
        with open(self.s.config) as f:
            text = f.read()
        with open(self.s.config, "w") as f:
            f.write(text.replace(f'name = "{self.s.pools["up"]}"\n',
                                 f'name = "{self.s.pools["up"]}"\nidentity = "gh-nosuch-{self.s.tag}"\n', 1))
        code, out, err = run("perms", "apply", "--config", self.s.config)
        self.assertEqual(code, 1, out + err)
        self.assertIn(f'identity = "gh-nosuch-{self.s.tag}") does not exist; Gatehouse never creates an identity', err)
        code, out, err = run("perms", "plan", "--config", self.s.config)
        self.assertIn(f'MISSING: identity = "gh-nosuch-{self.s.tag}" names no account', out)


class Serving:
    def __init__(self, s, user=None):
        self.log_path = os.path.join(s.root, "serve.out")
        self.out = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve", "--config", s.config], stdout=self.out, stderr=subprocess.STDOUT,
                                     user=user)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text() or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return self.text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def serve(s, user=None):
    return Serving(s, user)


class ServeMessages(unittest.TestCase):
    def setUp(self):
        self.s = TwoSites()
        self.addCleanup(self.s.close)

    def test_non_root_is_told_first_that_serve_needs_root(self):
        require_root(self)  # to become another user
        os.chmod(self.s.config, 0o644)
        server = serve(self.s, user="nobody")
        server.proc.wait(20)
        log = server.text()
        server.stop()
        self.assertEqual(server.proc.returncode, 1, log)
        first = log.strip().splitlines()[0]
        self.assertIn("serve needs root, or --single-user", first)
        self.assertIn(f"sudo gatehouse serve --config {self.s.config};", first)
        self.assertIn(f"gatehouse serve --config {self.s.config} --single-user", first)
        self.assertNotIn("log", first.split("serve needs root")[0])  # no log file error first

    def test_port_in_use_names_the_site_and_binding(self):
        require_root(self)
        self.accounts = ["gh-pool-" + p for p in self.s.pools.values()] + [self.s.anonymous]
        self.addCleanup(lambda: [delete_account(a) for a in self.accounts])
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", self.s.port))
            busy.listen()
            server = serve(self.s)
            server.proc.wait(30)
            log = server.text()
            server.stop()
        self.assertEqual(server.proc.returncode, 1, log)
        self.assertIn(f"cannot listen on 127.0.0.1:{self.s.port}: Address already in use, needed by site wiki "
                      f"(binding \"http://127.0.0.1:{self.s.port}:wiki.test\"), site up", log)


class Accounts(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.s = TwoSites()
        self.addCleanup(self.s.close)
        self.accounts = ["gh-pool-" + p for p in self.s.pools.values()] + [self.s.anonymous]
        self.addCleanup(lambda: [delete_account(a) for a in self.accounts])

    def test_list_marks_pre_existing_and_remove_warns_about_owned_files(self):
        with open(self.s.config) as f:
            text = f.read()
        with open(self.s.config, "w") as f:
            f.write(text.replace(f'name = "{self.s.pools["up"]}"\n',
                                 f'name = "{self.s.pools["up"]}"\nidentity = "nobody"\n', 1))
        code, out, err = run("perms", "apply", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        self.assertIn("using existing account nobody (pool " + self.s.pools["up"] + "), never created by Gatehouse",
                      out)
        code, out, err = run("accounts", "list", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"nobody\s+65534\s+\d+\s+pre-existing \(not created by Gatehouse\)")
        self.assertRegex(out, rf"gh-pool-{self.s.pools['wiki']}\s+\d+\s+\d+\s+pool {self.s.pools['wiki']}")
        code, out, _ = run("accounts", "list", "--json", "--config", self.s.config)
        by_name = {a["name"]: a for a in json.loads(out)}
        self.assertFalse(by_name["nobody"]["created_by_gatehouse"])
        self.assertTrue(by_name["gh-pool-" + self.s.pools["wiki"]]["created_by_gatehouse"])

        wiki = "gh-pool-" + self.s.pools["wiki"]
        uid = pwd.getpwnam(wiki).pw_uid
        owned = os.path.join(self.s.root, "wiki", "data", "left.txt")
        write(owned, "left behind")
        os.chown(owned, uid, -1)
        with open(self.s.config) as f:
            text = f.read()
        # the wiki site moves to the upload pool and its pool goes: the wiki's account is unused
        pool_block = f'[[pools]]\nname = "{self.s.pools["wiki"]}"\nphp_ini = "{self.s.root}/wiki/php.ini"\n'
        self.assertIn(pool_block, text)
        with open(self.s.config, "w") as f:
            f.write(text.replace(pool_block, "").replace(f'pool = "{self.s.pools["wiki"]}"',
                                                         f'pool = "{self.s.pools["up"]}"'))
        code, out, err = run("accounts", "remove", "--unused", "--config", self.s.config)
        self.assertEqual(code, 0, out + err)
        self.assertIn(f"removed {wiki}", out)
        self.assertIn(f"warning: uid {uid} (was {wiki}) still owns 1 file(s), e.g. {owned}", err)
        self.assertIn(f"-xdev -uid {uid})", err)


if __name__ == "__main__":
    unittest.main()

"""A real PHP application under Gatehouse for the acceptance tests (issue 13):
a private temporary folder, a pool and an anonymous account of its own (the
split scheme: anonymous = the IUSR-like account, fastcgi.impersonate = 0),
`check`, `perms apply`, `serve`, and an HTTP client with cookies and forms.

The application's files are copied by the caller into `app_root` (never
served from /usr/share in place)."""
import html.parser
import http.cookiejar
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
import unittest
import urllib.error
import urllib.parse
import urllib.request

from ghtest import BIN, free_port, write

IN_CI = os.environ.get("CI") == "true"
IIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "iis")  # the same sites as IIS hosts them


def require(test, package, path):
    """Root and a Debian package: a failure under CI=true, a skip elsewhere."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append("root")
    if not os.path.exists(path):
        reasons.append(f"the Debian package {package} (bash scripts/deps.sh)")
    if reasons:
        message = "needs " + " and ".join(reasons)
        if IN_CI:
            raise AssertionError(message + ", and CI=true forbids skipping")
        raise unittest.SkipTest(message)


def run(*args, timeout=120):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def delete_account(name):
    subprocess.run(["userdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["groupdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def imported_site(name):
    """The site `name` as `gatehouse import iis` writes it from iis/applicationHost.config
    and iis/<name>/web.config, and the import's report."""
    with tempfile.TemporaryDirectory(prefix="gh-import-") as tmp:
        out = os.path.join(tmp, "imported.toml")
        code, stdout, stderr = run("import", "iis", "--applicationhost", os.path.join(IIS, "applicationHost.config"),
                                   "--web-config", IIS, "--path-map", f"C:\\Sites={IIS}", "--out", out)
        if code not in (0, 1):
            raise AssertionError(f"import iis: exit {code}\n{stdout}{stderr}")
        with open(out, "rb") as f:
            sites = tomllib.load(f)["sites"]
    return next(s for s in sites if s["name"] == name), stdout + stderr


def same_request_filtering(test, imported, toml_text):
    """The import maps requestFiltering to the lists the test serves with."""
    test.assertIn("request_filtering", imported)
    ours = tomllib.loads(toml_text)["sites"]["request_filtering"]
    fold = lambda d: {k: sorted(v.lower() for v in values) for k, values in d.items() if values}
    test.assertEqual(fold(imported["request_filtering"]), fold(ours))


class AppSite:
    """Folders: <root>/<app> (app_root), <root>/php (php.ini, upload_tmp_dir,
    session.save_path, error_log), <root>/state and <root>/log. The root is
    0700: only the grants of `perms apply` let the accounts in."""

    def __init__(self, app, tag_prefix):
        self.tmp = tempfile.TemporaryDirectory(prefix=f"gh-{app}-")
        self.root = self.tmp.name
        self.tag = secrets.token_hex(3)
        self.pool = tag_prefix + self.tag
        self.pool_account = "gh-pool-" + self.pool
        self.anonymous = f"gh-{tag_prefix}a-{self.tag}"
        self.app_root = os.path.join(self.root, app)
        self.php = os.path.join(self.root, "php")
        self.ini = os.path.join(self.php, "php.ini")
        self.config = os.path.join(self.root, "gatehouse.toml")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.out_path = os.path.join(self.root, "serve.out")
        for d in ("uploads", "sessions", "log"):
            os.makedirs(os.path.join(self.php, d), exist_ok=True)

    def write_php_ini(self, extra=""):
        write(self.ini, f"""; the pool's php.ini (split scheme: PHP touches files as the pool identity)
fastcgi.impersonate = 0
upload_tmp_dir = "{self.php}/uploads"
session.save_path = "{self.php}/sessions"
error_log = "{self.php}/log/php-error.log"
log_errors = On
display_errors = Off
expose_php = Off
{extra}""")

    def write_config(self, site):
        """`site`: the TOML lines of the site table after its name, bindings, roots and pool."""
        write(self.config, f"""[server]
state_dir = "{self.root}/state"
log_dir = "{self.root}/log"
threads = 2

[accounts]
anonymous = "{self.anonymous}"

[[pools]]
name = "{self.pool}"
php_ini = "{self.ini}"

[pools.fastcgi]
max_instances = 2
monitor_changes_to = "{self.ini}"

[[sites]]
name = "app"
bindings = ["http://127.0.0.1:{self.port}:*"]
app_root = "{self.app_root}"
physical_path = "{self.app_root}"
pool = "{self.pool}"
{site}
""")

    # -- the administrator's commands --------------------------------------

    def check_and_apply(self):
        code, out, err = run("check", "--config", self.config)
        if code != 0 or "configuration OK" not in out:
            raise AssertionError(f"check: exit {code}\n{out}\n{err}")
        code, out, err = run("perms", "apply", "--config", self.config)
        if code != 0:
            raise AssertionError(f"perms apply: exit {code}\n{out}\n{err}")
        return out

    def audit(self, *extra):
        return run("perms", "audit", "--config", self.config, *extra)

    def serve(self, timeout=30):
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve", "--config", self.config], stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gatehouse exited with {self.proc.returncode}: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gatehouse did not listen: " + self.output())

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def php_errors(self):
        path = os.path.join(self.php, "log", "php-error.log")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode

    def close(self):
        code = self.stop()
        for name in (self.pool_account, self.anonymous):
            delete_account(name)
        self.tmp.cleanup()
        return code


# -- HTTP ------------------------------------------------------------------

class Short(str):
    """A page's text whose repr (in a failed assertion) is its start only."""

    def __repr__(self):
        return repr(str(self[:300])) + f"... ({len(self)} characters)"


class ShortBytes(bytes):
    def __repr__(self):
        return repr(bytes(self[:300])) + f"... ({len(self)} bytes)"


class Reply:
    def __init__(self, status, headers, body, url):
        self.status, self.headers, self.body, self.url = status, headers, ShortBytes(body), url

    @property
    def text(self):
        return Short(self.body.decode("utf-8", errors="replace"))

    def __repr__(self):
        return f"<Reply {self.status} {self.url} {self.body[:200]!r}>"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


class Browser:
    """A visitor: cookies kept, redirects followed unless `follow=False`."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.follow = urllib.request.build_opener(cookies)
        self.stay = urllib.request.build_opener(cookies, NoRedirect)

    def request(self, path, data=None, headers=None, follow=True, method=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {}, method=method)
        try:
            with (self.follow if follow else self.stay).open(req, timeout=60) as r:
                return Reply(r.status, r.headers, r.read(), r.url)
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.headers, e.read(), e.url)

    def get(self, path, **kw):
        return self.request(path, **kw)

    def post(self, path, fields, **kw):
        return self.request(path, data=urllib.parse.urlencode(fields).encode(), **kw)

    def post_multipart(self, path, fields, files, **kw):
        """`files`: {field: (filename, content type, bytes)}."""
        boundary = "----gatehouse" + secrets.token_hex(8)
        body = b""
        for k, v in fields.items():
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n').encode()
        for k, (name, ctype, data) in files.items():
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                     f'Content-Type: {ctype}\r\n\r\n').encode() + data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request(path, data=body, headers=headers, **kw)


class Forms(html.parser.HTMLParser):
    """The forms of a page: each a dict with 'attrs' and 'fields' (name -> value
    of its inputs and textareas, as a browser would submit them untouched)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea = [], None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") in ("submit", "button", "file"):
                return
            self._form["fields"][a["name"]] = a.get("value") or ""
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def find(self, **attrs):
        """The first form whose attributes contain `attrs` (values as substrings)."""
        for f in self.forms:
            if all(v in (f["attrs"].get(k) or "") for k, v in attrs.items()):
                return f
        raise AssertionError(f"no form with {attrs} among {[f['attrs'] for f in self.forms]}")

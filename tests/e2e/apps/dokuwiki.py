"""A private DokuWiki from Debian's package, laid out as the upstream tarball is
(one folder: doku.php, inc/, lib/, vendor/, conf/, data/), for the
acceptance test and bench/dokuwiki.sh.

Debian spreads DokuWiki over /usr/share/dokuwiki (code), /etc/dokuwiki (conf)
and /var/lib/dokuwiki (data, ACLs, templates, plugins): each is copied, with
its symlinks followed, into one folder, and Debian's inc/preload.php (which
points DOKU_CONF at /etc/dokuwiki) is left out, so conf/ next to doku.php is
used as upstream does."""
import os
import shutil
import subprocess
import sys

CODE = "/usr/share/dokuwiki"
CONF = "/etc/dokuwiki"
DATA = "/var/lib/dokuwiki/data"

# The pretty URLs of DokuWiki's .htaccess.dist (userewrite = 1), as an IIS
# administrator writes them in web.config's <rewrite><rules> (IIS's
# appendQueryString is true by default), in Gatehouse's TOML.
REWRITE = r"""
[[sites.rewrite]]
name = "DokuWiki media"
match = "^_media/(.*)"
action = "Rewrite"
url = "lib/exe/fetch.php?media={R:1}"
stop_processing = true

[[sites.rewrite]]
name = "DokuWiki detail"
match = "^_detail/(.*)"
action = "Rewrite"
url = "lib/exe/detail.php?media={R:1}"
stop_processing = true

[[sites.rewrite]]
name = "DokuWiki export"
match = "^_export/([^/]+)/(.*)"
action = "Rewrite"
url = "doku.php?do=export_{R:1}&id={R:2}"
stop_processing = true

[[sites.rewrite]]
name = "DokuWiki home"
match = "^$"
action = "Rewrite"
url = "doku.php"
stop_processing = true

[[sites.rewrite]]
name = "DokuWiki pages"
match = "(.*)"
action = "Rewrite"
url = "doku.php?id={R:1}"
stop_processing = true
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true
[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsDirectory"
negate = true

[[sites.rewrite]]
name = "DokuWiki index.php"
match = "^index\\.php$"
action = "Rewrite"
url = "doku.php"
"""

# What DokuWiki's own .htaccess files deny (data/, conf/, bin/, inc/,
# vendor/, and README, VERSION, COPYING at the top), as IIS's
# <requestFiltering><hiddenSegments>.
REQUEST_FILTERING = """
[sites.request_filtering]
hidden_segments = ["data", "conf", "bin", "inc", "vendor", "README", "VERSION", "COPYING"]
"""


def copy_tree(src, dst):
    """`cp -rL`: symlinks followed (Debian's point into /var/lib and /etc)."""
    subprocess.run(["cp", "-rL", "--no-preserve=ownership", src, dst], check=True)


def install(app_root, users=(), userewrite=1, extra_conf=""):
    """Copies DokuWiki into `app_root` (which must not exist). `users`: (login,
    password, groups) for conf/users.auth.php. The start page gets the text of
    wiki:welcome (real content, as a fresh install shows it)."""
    copy_tree(CODE, app_root)
    for debian_only in (".htaccess", ".htaccess.dist", ".htaccess.dist.md5sum", "inc/preload.php"):
        path = os.path.join(app_root, debian_only)
        if os.path.lexists(path):
            os.remove(path)
    conf = os.path.join(app_root, "conf")
    copy_tree(CONF, conf)
    for web_server in ("apache.conf", "lighttpd.conf", "htaccess", ".htaccess"):
        path = os.path.join(conf, web_server)
        if os.path.lexists(path):
            os.remove(path)
    data = os.path.join(app_root, "data")
    copy_tree(DATA, data)
    shutil.copyfile(os.path.join(data, "pages/wiki/welcome.txt"), os.path.join(data, "pages/start.txt"))
    with open(os.path.join(conf, "local.php"), "w") as f:
        f.write(f"""<?php
$conf['title'] = 'Gatehouse DokuWiki';
$conf['savedir'] = '{data}';
$conf['useacl'] = 1;
$conf['superuser'] = '@admin';
$conf['userewrite'] = {userewrite};
$conf['updatecheck'] = 0;
{extra_conf}
""")
    with open(os.path.join(conf, "acl.auth.php"), "w") as f:
        f.write("# acl.auth.php\n# <?php exit()?>\n*\t@ALL\t1\n*\t@user\t8\n")
    with open(os.path.join(conf, "users.auth.php"), "w") as f:
        f.write("# users.auth.php\n# <?php exit()?>\n")
        for login, password, groups in users:
            f.write(f"{login}:{password_hash(password)}:{login.title()}:{login}@example.org:{groups}\n")
    for name in ("acl.auth.php", "users.auth.php"):  # Debian's copies are 0600; the tarball's 0644
        os.chmod(os.path.join(conf, name), 0o644)


def password_hash(password):
    """bcrypt, which DokuWiki's PassHash verifies."""
    return subprocess.run(["php", "-r", "echo password_hash($argv[1], PASSWORD_BCRYPT);", password],
                          capture_output=True, text=True, check=True).stdout


if __name__ == "__main__":  # bench/dokuwiki.sh: python3 dokuwiki.py APP_ROOT [userewrite]
    install(sys.argv[1], userewrite=int(sys.argv[2]) if len(sys.argv) > 2 else 0)

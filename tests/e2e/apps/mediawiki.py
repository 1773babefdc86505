"""A private MediaWiki from Debian's package on SQLite, installed with its own
maintenance/install.php, for the acceptance test.

Debian's /usr/share/mediawiki points LocalSettings.php, images/, config/ and
extensions/ at /var/lib/mediawiki and /etc/mediawiki: the copy takes the
code only and makes those folders its own. To keep the copy small (the
package is 284 MB, 25,000 files), bundled extensions are left out and every
i18n folder keeps English only (the wiki is installed in English)."""
import os
import shutil
import subprocess

CODE = "/usr/share/mediawiki"
SKIP = {"LocalSettings.php", "config", "extensions", "extensions-core", "images", "cache"}

# MediaWiki's short URLs (Manual:Short URL) as an IIS administrator writes
# them in web.config: <match url="^wiki/(.*)$" /> and
# <action type="Rewrite" url="index.php?title={UrlEncode:{R:1}}" />.
REWRITE = r"""
[[sites.rewrite]]
name = "MediaWiki short URLs"
match = "^wiki/(.*)$"
action = "Rewrite"
url = "index.php?title={UrlEncode:{R:1}}"
stop_processing = true
"""

# What MediaWiki's .htaccess files deny on Apache, as IIS's requestFiltering:
# hiddenSegments for the code folders and the installer, fileExtensions for
# composer.json, each extension's and skin's .json and the lock files.
REQUEST_FILTERING = """
[sites.request_filtering]
hidden_segments = ["includes", "languages", "maintenance", "vendor", "cache", "mw-config", "tests", "docs",
                   "serialized"]
denied_extensions = [".json", ".lock", ".sqlite", ".md"]
"""


def _ignore(folder, names):
    if os.path.basename(folder) == "i18n":
        return [n for n in names if n.endswith(".json") and n not in ("en.json",)]
    if os.path.realpath(folder) == os.path.realpath(CODE):
        return [n for n in names if n in SKIP]
    return []


def copy(app_root):
    """The code into `app_root` (which must not exist), with images/, cache/
    and extensions/ as empty folders of its own."""
    shutil.copytree(CODE, app_root, symlinks=False, ignore=_ignore)
    for d in ("images", "cache", "extensions"):
        os.makedirs(os.path.join(app_root, d), exist_ok=True)


def install(app_root, data_dir, server, admin, password):
    """maintenance/install.php on SQLite (database in `data_dir`, outside the
    web root), run as root by the administrator before `perms apply`."""
    subprocess.run(["php", "maintenance/install.php", "--dbtype=sqlite", f"--dbpath={data_dir}", "--dbname=wiki",
                    f"--server={server}", "--scriptpath=", "--lang=en", f"--pass={password}",
                    "--skins=Vector", "Gatehouse Wiki", admin],
                   cwd=app_root, check=True, capture_output=True, text=True, timeout=120)


def configure(app_root):
    """Short URLs, uploads and a file cache, appended to LocalSettings.php."""
    with open(os.path.join(app_root, "LocalSettings.php"), "a") as f:
        f.write("""
# Gatehouse acceptance test
$wgArticlePath = "/wiki/$1";
$wgEnableUploads = true;
$wgCacheDirectory = "$IP/cache";
$wgMainCacheType = CACHE_NONE;
$wgUseInstantCommons = false;
$wgPingback = false;
$wgJobRunRate = 0;  # no job queue run after a response: no SQLite writer racing the next request
""")


def create_user(app_root, name, password):
    """maintenance/createAndPromote.php, as the administrator would."""
    subprocess.run(["php", "maintenance/createAndPromote.php", name, password], cwd=app_root, check=True,
                   capture_output=True, text=True, timeout=60)

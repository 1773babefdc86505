"""`gatehouse check` on rewrite rules, as a user runs it: each rule printed on
one line, and a pattern PCRE2 refuses reported with file:line:column, the key,
PCRE2's message and the offset."""
import subprocess
import unittest

from ghtest import BIN, Server

RULES = r"""
[[sites.rewrite]]
name = "media"
match = '^_media/(.*)'
stop_processing = true
action = "Rewrite"
url = "lib/exe/fetch.php?media={R:1}"

[[sites.rewrite]]
name = "page"
match = '(.*)'
action = "Rewrite"
url = "doku.php?id={R:1}"

[[sites.rewrite.conditions]]
input = "{REQUEST_FILENAME}"
match_type = "IsFile"
negate = true
"""


def check(server):
    p = subprocess.run([BIN, "check", "--config", server.config], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class RewriteCheck(unittest.TestCase):
    def test_rules_are_printed_in_order(self):
        server = Server(site='front_controller = "/index.php"', extra=RULES)
        self.addCleanup(server.tmp.cleanup)
        code, out, err = check(server)
        self.assertEqual(code, 0, err)
        self.assertIn('  rewrite 1. media: "^_media/(.*)" -> Rewrite "lib/exe/fetch.php?media={R:1}" (stop)\n', out)
        self.assertIn('  rewrite 2. page: "(.*)" if {REQUEST_FILENAME} !IsFile -> Rewrite "doku.php?id={R:1}"\n', out)
        self.assertIn("  front controller /index.php (paths that are neither a file nor a folder)\n", out)
        self.assertIn("configuration OK", out)

    def test_bad_regex_names_key_message_and_offset(self):
        server = Server(extra=RULES.replace("'^_media/(.*)'", "'^_media/(.*'"))
        self.addCleanup(server.tmp.cleanup)
        code, out, err = check(server)
        self.assertEqual(code, 1)
        self.assertRegex(err, r"gatehouse\.toml:\d+:9: key 'sites\[0\]\.rewrite\[0\]\.match': expected a PCRE2 "
                              r"regular expression: missing closing parenthesis at offset 11")
        self.assertNotIn("configuration OK", out)


if __name__ == "__main__":
    unittest.main()

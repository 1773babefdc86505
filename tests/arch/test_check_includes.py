"""check_includes.py on scratch trees: it must fail on each kind of forbidden include (ctest arch.includes_selftest)."""
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_includes  # noqa: E402

RULES = """\
common:
config: common
http: config common
cli: *
"""


class CheckIncludes(unittest.TestCase):
    def tree(self, files, rules=RULES):
        root = tempfile.mkdtemp(prefix="gh-arch-")
        self.addCleanup(shutil.rmtree, root)
        os.makedirs(os.path.join(root, "src"))
        with open(os.path.join(root, "src", "dependencies.txt"), "w") as f:
            f.write(rules)
        for folder in ("common", "config", "http", "cli"):
            os.makedirs(os.path.join(root, "src", folder), exist_ok=True)
        for path, text in files.items():
            full = os.path.join(root, "src", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        return root

    def run_check(self, root):
        # The real KNOWN_VIOLATIONS name files that do not exist here.
        with mock.patch.object(check_includes, "KNOWN_VIOLATIONS", set()):
            problems, _ = check_includes.check(root)
        return (1 if problems else 0), "\n".join(problems)

    def test_allowed_includes_pass(self):
        root = self.tree({
            "config/load.hpp": '#include "common/error.hpp"\n#include <toml++/toml.h>\n',
            "http/server.cpp": '#include "config/load.hpp"\n#include "http/server.hpp"\n#include "boost/asio.hpp"\n',
            "cli/main.cpp": '#include "http/server.hpp"\n',
        })
        rc, out = self.run_check(root)
        self.assertEqual(rc, 0, out)

    def test_forbidden_include_names_file_line_and_rule(self):
        root = self.tree({"config/load.cpp": '// x\n#include "common/error.hpp"\n  #  include "http/server.hpp"\n'})
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn('src/config/load.cpp:3: #include "http/server.hpp": \'config\' may not include \'http\' '
                      "(src/dependencies.txt:2: config: common)", out)

    def test_angle_bracket_project_include_counts(self):
        root = self.tree({"common/log.cpp": "#include <config/model.hpp>\n"})
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn("src/common/log.cpp:1:", out)

    def test_folder_without_a_rule_fails(self):
        root = self.tree({"sandbox/x.cpp": '#include "common/error.hpp"\n'})
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn("no line for 'sandbox'", out)

    def test_test_helpers_only_in_tests(self):
        root = self.tree({
            "config/test_support.hpp": '#include "common/error.hpp"\n',
            "config/load_test.cpp": '#include "config/test_support.hpp"\n',
            "http/server_test.cpp": '#include "config/test_support.hpp"\n',
            "http/server.cpp": '#include "config/test_support.hpp"\n',
        })
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn("src/http/server.cpp:1:", out)
        self.assertNotIn("server_test.cpp", out)
        self.assertNotIn("load_test.cpp", out)

    def test_tests_follow_their_folder_rules(self):
        root = self.tree({"config/load_test.cpp": '#include "http/server.hpp"\n'})
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn("src/config/load_test.cpp:1:", out)

    def test_cycle_in_rules_fails(self):
        root = self.tree({}, rules="common: config\nconfig: common\nhttp: config common\ncli: *\n")
        rc, out = self.run_check(root)
        self.assertEqual(rc, 1)
        self.assertIn("cycle", out)

    def test_stale_known_violation_fails(self):
        root = self.tree({})
        with mock.patch.object(check_includes, "KNOWN_VIOLATIONS", {("src/http/gone.cpp", "config/x.hpp")}):
            problems, _ = check_includes.check(root)
        self.assertIn('KNOWN_VIOLATIONS lists src/http/gone.cpp including "config/x.hpp", which no longer happens: '
                      "remove the entry", "\n".join(problems))


if __name__ == "__main__":
    unittest.main()

"""testssl.sh against an https binding: no finding of severity HIGH or
CRITICAL. A full run takes minutes on this machine, so make test runs a
targeted subset (protocols, cipher categories, forward secrecy,
renegotiation, CRIME, Heartbleed, CCS) with a time bound; findings about the
certificate itself (self-signed, no OCSP URI: the test's own certificate)
are not the server's and are not run here (-S)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from ghtest import write
from test_tls import TlsServer, make_cert

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")


class TestsslTest(unittest.TestCase):
    def test_no_high_or_critical_finding(self):
        if TESTSSL is None:
            if os.environ.get("CI") == "true":
                self.fail("testssl missing (bash scripts/deps.sh installs testssl.sh)")
            self.skipTest("testssl missing")
        certs_dir = tempfile.mkdtemp(prefix="gh-testssl-")
        self.addCleanup(shutil.rmtree, certs_dir, True)
        certs = {"a": make_cert(certs_dir, "a.example"), "b": make_cert(certs_dir, "b.example")}
        server = TlsServer(certs, site_tls='hsts = "8760h"\n')
        self.addCleanup(server.close)
        write(os.path.join(server.www, "index.html"), "ok\n")
        server.start()
        report = os.path.join(certs_dir, "report.json")
        r = subprocess.run([TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--ip", "one", "--jsonfile",
                            report, "-p", "-s", "-f", "-R", "-C", "-H", "-I", f"127.0.0.1:{server.port}"],
                           capture_output=True, text=True, timeout=240)
        with open(report) as f:
            findings = json.load(f)
        ids = {f["id"] for f in findings}
        # The run really tested the binding: these checks are in the report.
        for expected in ("TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "heartbleed", "CCS", "secure_client_renego", "CRIME_TLS"):
            self.assertIn(expected, ids, r.stdout[-2000:])
        bad = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL")]
        self.assertEqual(bad, [], r.stdout[-4000:])
        by_id = {f["id"]: f for f in findings}
        self.assertEqual(by_id["TLS1"]["finding"], "not offered")
        self.assertEqual(by_id["TLS1_1"]["finding"], "not offered")
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()

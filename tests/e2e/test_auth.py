"""Basic authentication through PAM against a real account created by the
test: right password, wrong password, no credentials, the authenticated
account as the identity that opens static files, and the failure throttle."""
import base64
import os
import secrets
import subprocess
import time
import unittest

from test_identity import IdentityServerTest, log_fields

REALM = "Staff Only"


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def create_user(name, password):
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}".encode(), check=True)


class AuthServerTest(IdentityServerTest):
    """A site with Basic authentication (anonymous per `anonymous`) and one real user."""

    anonymous = "false"

    @classmethod
    def site_config(cls):
        if not os.path.exists("/etc/pam.d/gatehouse"):
            raise AssertionError("/etc/pam.d/gatehouse missing: run `make install-pam` as root")
        return (f"[sites.authentication.anonymous]\nenabled = {cls.anonymous}\n"
                f'[sites.authentication.basic]\nenabled = true\nrealm = "{REALM}"\n')

    @classmethod
    def prepare(cls, s):
        cls.user = "gh-tu-" + secrets.token_hex(3)
        cls.password = "pw:" + secrets.token_hex(8)  # a colon: split at the first one only
        s.users.append(cls.user)
        create_user(cls.user, cls.password)
        super().prepare(s)
        s.let_in(cls.user)
        s.private_file("mine.txt", "the user's own file", [cls.user])


class BasicOnly(AuthServerTest):
    def assert_challenge(self, r):
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("www-authenticate"), f'Basic realm="{REALM}", charset="UTF-8"')

    def test_no_credentials_is_401_2_with_challenge(self):
        r = self.server.request("/anon.txt")
        self.assert_challenge(r)
        self.assertIn(b"401.2", r.body)

    def test_right_password_serves_the_users_file_as_the_user(self):
        r = self.server.request("/mine.txt", headers=basic(self.user, self.password))
        self.assertEqual(r.status, 200, self.server.output())
        self.assertEqual(r.body, b"the user's own file")
        fields = log_fields(self.server.wait_log("/mine.txt")[-1])
        self.assertEqual((fields["user"], fields["status"]), (self.user, "200"))

    def test_authenticated_user_cannot_read_what_only_others_may(self):
        # The kernel decides as the user: neither the anonymous account's nor the pool's files.
        for path in ("/anon.txt", "/pool.txt"):
            r = self.server.request(path, headers=basic(self.user, self.password))
            self.assertEqual(r.status, 401, path)
            self.assertIn(b"401.3", r.body)

    def test_wrong_password_is_401_1_with_challenge(self):
        r = self.server.request("/mine.txt", headers=basic(self.user, "wrong"))
        self.assert_challenge(r)
        self.assertIn(b"401.1", r.body)
        self.assertNotIn(b"the user's own file", r.body)
        # A success clears the address's failures, so other tests are not slowed.
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)

    def test_unknown_user_and_malformed_header_are_401(self):
        self.assert_challenge(self.server.request("/mine.txt", headers=basic("gh-nobody-x", "pw")))
        self.assert_challenge(self.server.request("/mine.txt", headers={"Authorization": "Basic !!!"}))
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)

    def test_root_never_authenticates(self):
        self.assert_challenge(self.server.request("/mine.txt", headers=basic("root", "anything")))
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)


class AnonymousAndBasic(AuthServerTest):
    anonymous = "true"

    def test_anonymous_still_served_as_the_anonymous_account(self):
        r = self.server.request("/anon.txt")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.server.request("/mine.txt").status, 401)

    def test_credentials_switch_to_the_user(self):
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)


class Throttle(AuthServerTest):
    def test_repeated_failures_are_slowed_down(self):
        for _ in range(3):  # free failures
            self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, "bad")).status, 401)
        start = time.monotonic()
        r = self.server.request("/mine.txt", headers=basic(self.user, "bad"))
        self.assertEqual(r.status, 401)
        self.assertGreaterEqual(time.monotonic() - start, 0.9)
        # Even the right password waits its turn, then clears the failures.
        start = time.monotonic()
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.9)
        start = time.monotonic()
        self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, self.password)).status, 200)
        self.assertLess(time.monotonic() - start, 0.9)


if __name__ == "__main__":
    unittest.main()

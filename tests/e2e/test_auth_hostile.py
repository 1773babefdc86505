"""Hostile clients against Basic authentication (issue 16 holes 4 and 8): a
valid login of the attacker's own account must not wipe the record of guesses
against someone else, parallel guesses are limited per address, a flood of bad
attempts cannot keep another client's login waiting, and a user name cannot
forge lines in error.log."""
import os
import secrets
import socket
import threading
import time
import unittest

from ghtest import build_request, read_response
from test_auth import AuthServerTest, basic, create_user


def request_from(port, source_ip, target, headers):
    """One request from `source_ip` (another loopback address: another client)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source_ip, 0)) as s:
        s.sendall(build_request(target, headers=headers))
        return read_response(s)


class WithAttacker(AuthServerTest):
    """The site's user, plus a second real account: the attacker's own."""

    @classmethod
    def prepare(cls, s):
        super().prepare(s)
        cls.attacker = "gh-ta-" + secrets.token_hex(3)
        cls.attacker_password = "pw-" + secrets.token_hex(8)
        s.users.append(cls.attacker)
        create_user(cls.attacker, cls.attacker_password)


class OwnLoginDoesNotClearGuesses(WithAttacker):
    def test_attackers_valid_login_keeps_the_delay_on_guesses_against_the_victim(self):
        for _ in range(3):  # the free failures, all against the victim
            self.assertEqual(self.server.request("/mine.txt", headers=basic(self.user, "guess")).status, 401)
        ok = self.server.request("/anon.txt", headers=basic(self.attacker, self.attacker_password))
        self.assertNotIn(b"401.1", ok.body)  # the attacker's own password is right (the file may be 401.3)
        start = time.monotonic()
        r = self.server.request("/mine.txt", headers=basic(self.user, "guess"))
        self.assertEqual(r.status, 401)
        self.assertGreaterEqual(time.monotonic() - start, 0.9, "the guesses were forgotten")


class ParallelGuessesAreLimited(WithAttacker):
    def test_parallel_guesses_from_one_address_are_refused_beyond_the_limit(self):
        statuses = []
        lock = threading.Lock()

        def guess():
            r = self.server.request("/mine.txt", headers=basic(self.user, "g" + secrets.token_hex(4)))
            with lock:
                statuses.append(r.status)
        threads = [threading.Thread(target=guess) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(statuses), 20)
        self.assertIn(429, statuses)
        self.assertLessEqual(statuses.count(401), 8)  # at most a few ran PAM at once


class FloodDoesNotStarveOthers(WithAttacker):
    def test_valid_login_from_another_address_succeeds_within_a_second_during_a_flood(self):
        stop = threading.Event()
        sent = [0]

        def flood():
            while not stop.is_set():
                try:
                    request_from(self.server.port, "127.0.0.1", "/mine.txt", basic(self.user, "f" + secrets.token_hex(4)))
                    sent[0] += 1
                except OSError:
                    pass
        threads = [threading.Thread(target=flood) for _ in range(16)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)  # the flood is under way
            for _ in range(3):
                start = time.monotonic()
                r = request_from(self.server.port, "127.0.0.2", "/mine.txt", basic(self.user, self.password))
                elapsed = time.monotonic() - start
                self.assertEqual(r.status, 200, r)
                self.assertLess(elapsed, 1.0, f"a valid login took {elapsed:.2f}s during the flood")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertGreater(sent[0], 50)


class UserNamesCannotForgeLogLines(AuthServerTest):
    def test_a_newline_in_a_user_name_is_escaped_in_error_log(self):
        forged = "eve\n2026-11-29T00.00.00.000+00.00 info forged entry"
        r = self.server.request("/mine.txt", headers=basic(forged, "x"))
        self.assertEqual(r.status, 401)
        path = os.path.join(self.server.log_dir, "error.log")
        deadline = time.monotonic() + 5
        text = ""
        while time.monotonic() < deadline:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "failed for user eve" in text:
                break
            time.sleep(0.05)
        self.assertIn("failed for user eve\\n2026-11-29T00.00.00.000+00.00 info forged entry", text)
        self.assertFalse(any(line.startswith("2026-11-29T00.00") for line in text.splitlines()))


if __name__ == "__main__":
    unittest.main()

"""Start-up message, graceful stop: in-flight requests finish, idle
keep-alive connections are closed, the exit code is 0."""
import os
import signal
import socket
import time
import unittest

from ghtest import Server, Reader, build_request, write


class Lifecycle(unittest.TestCase):
    def test_says_where_it_listens(self):
        server = Server()
        try:
            server.start()
            out = server.output()
            self.assertIn("info site main\n", out)
            self.assertIn(f"binding http://127.0.0.1:{server.port}:*: listening on 127.0.0.1:{server.port}, "
                          f"open http://127.0.0.1:{server.port}/", out)
            self.assertTrue(os.path.exists(os.path.join(server.log_dir, "error.log")))
            self.assertEqual(server.stop(), 0)
        finally:
            server.close()

    def test_graceful_stop_finishes_slow_download(self):
        server = Server(server='shutdown_timeout = "20s"')
        size = 16 * 1024 * 1024
        write(os.path.join(server.www, "big.bin.zip"), os.urandom(1024) * (size // 1024))
        write(os.path.join(server.www, "small.txt"), "x")
        try:
            server.start()
            idle = server.connect()
            idle.sendall(build_request("/small.txt"))
            self.assertEqual(Reader(idle).response().status, 200)

            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", server.port))
            slow.sendall(build_request("/big.bin.zip"))
            reader = Reader(slow)
            reader.buf = slow.recv(4096)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            # the idle keep-alive connection is closed by the drain
            idle.settimeout(5)
            self.assertEqual(idle.recv(100), b"")
            # new connections are refused once accepting stopped
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            self.assertIsNone(server.proc.poll())
            got = 0
            head = reader.read_until(b"\r\n\r\n")
            self.assertIn(b"200 OK", head)
            got = len(reader.buf)
            while got < size:
                chunk = slow.recv(256 * 1024)
                if not chunk:
                    break
                got += len(chunk)
            self.assertEqual(got, size)
            self.assertEqual(server.proc.wait(20), 0)
            idle.close()
            slow.close()
        finally:
            server.close()

    def test_bad_config_exits_1(self):
        server = Server(extra="[unknown]\nx = 1\n")
        try:
            with self.assertRaises(AssertionError):
                server.start()
            self.assertEqual(server.proc.returncode, 1)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

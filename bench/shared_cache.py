#!/usr/bin/env python3
"""Issue 15 item 1, measured in isolation (no Gatehouse): four php-cgi
processes started one by one (Gatehouse before) against one php-cgi parent
with PHP_FCGI_CHILDREN=4 (Gatehouse after). Prints the PSS/RSS of each set
after a synthetic application was compiled by every instance, whether APCu is
shared, and the time from connect to the first byte for a fresh exec against a
child forked by a warm parent. Run as root or any user: python3 bench/shared_cache.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

PHP_CGI = "/usr/bin/php-cgi"


def fcgi_request(path, script, query=""):
    """One FastCGI request on a fresh connection: (seconds to the first byte, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    t0 = time.monotonic()
    s.connect(path)
    params = {"SCRIPT_FILENAME": script, "REQUEST_METHOD": "GET", "QUERY_STRING": query,
              "SCRIPT_NAME": "/x.php", "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1"}
    body = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        body += bytes([len(k), len(v)]) + k + v
    rec = lambda t, c: struct.pack(">BBHHBx", 1, t, 1, len(c), 0) + c
    s.sendall(rec(1, struct.pack(">HBxxxxx", 1, 0)) + rec(4, body) + rec(4, b"") + rec(5, b""))
    out, first = b"", None
    while True:
        head = s.recv(8, socket.MSG_WAITALL)
        if len(head) < 8:
            break
        if first is None:
            first = time.monotonic() - t0
        _, kind, _, clen, plen = struct.unpack(">BBHHBx", head)
        content = s.recv(clen + plen, socket.MSG_WAITALL)[:clen] if clen + plen else b""
        if kind == 6:
            out += content
        if kind == 3:
            break
    s.close()
    return first, out.split(b"\r\n\r\n", 1)[-1]


def start(sock, children):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(sock):
        os.unlink(sock)
    listener.bind(sock)
    listener.listen(16)
    env = {"PHP_FCGI_CHILDREN": str(children), "PHP_FCGI_MAX_REQUESTS": "0", "PATH": "/usr/bin:/bin"}
    p = subprocess.Popen([PHP_CGI, "-d", "apc.enabled=1"], stdin=listener, env=env, start_new_session=True)
    listener.close()
    return p


def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        kids = []
    return [pid] + [k for c in kids for k in tree(c)]


def rollup(pids):
    pss = rss = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
    return pss, rss


def wait_ready(sock, hello, tries=200):
    for _ in range(tries):
        try:
            return fcgi_request(sock, hello)
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("php-cgi did not answer")


def main():
    d = tempfile.mkdtemp(prefix="gh-shared-cache-")
    os.chmod(d, 0o755)
    hello = os.path.join(d, "hello.php")
    app = os.path.join(d, "app.php")
    counter = os.path.join(d, "counter.php")
    with open(hello, "w") as f:
        f.write("<?php echo 'hello';")
    with open(counter, "w") as f:
        f.write("<?php echo apcu_inc('n', 1, $ok, 0), ' ', getmypid();")
    with open(app, "w") as f:  # about what DokuWiki compiles for a page: thousands of functions
        f.write("<?php\n")
        for i in range(3000):
            f.write(f"function f{i}($a, $b) {{ $x = [$a, $b, '{i}' . $a]; foreach ($x as $k => $v) {{ $a .= $k . $v; }}"
                    f" return strlen($a) > {i} ? $a : str_repeat('x', {i % 7}); }}\n")
        f.write("echo 'app';")
    results = {}
    alone_sock = os.path.join(d, "alone.sock")
    alone = start(alone_sock, 0)
    wait_ready(alone_sock, hello)
    fcgi_request(alone_sock, app)
    one = rollup([alone.pid])
    alone.terminate()
    alone.wait()
    # A fresh set, before any request: what an idle pool keeps (parent + 5 children).
    fresh_sock = os.path.join(d, "fresh.sock")
    fresh = start(fresh_sock, 5)
    wait_ready(fresh_sock, hello)
    time.sleep(0.2)
    fresh_set = rollup(tree(fresh.pid))
    os.killpg(fresh.pid, 15)
    fresh.wait()
    # Before: four processes of their own (PHP_FCGI_CHILDREN=0 each).
    procs, socks = [], [os.path.join(d, f"own-{i}.sock") for i in range(4)]
    for s in socks:
        procs.append(start(s, 0))
    for s in socks:
        wait_ready(s, hello)
        fcgi_request(s, app)
    counts = [fcgi_request(s, counter)[1] for s in socks]
    results["own"] = rollup([p.pid for p in procs]) + (counts,)
    for p in procs:
        p.terminate()
        p.wait()
    # After: one parent forks four children; each connection goes to one child.
    sock = os.path.join(d, "shared.sock")
    parent = start(sock, 4)
    wait_ready(sock, hello)
    conns = []
    for _ in range(8):  # enough that every child compiles app.php at least once if nothing is shared
        fcgi_request(sock, app)
    counts = [fcgi_request(sock, counter)[1] for _ in range(4)]
    results["shared"] = rollup(tree(parent.pid)) + (counts,)
    # A child killed (a recycle) is replaced by a fork of the warm parent.
    kids = tree(parent.pid)[1:]
    os.kill(kids[0], 9)
    t0 = time.monotonic()
    while len(tree(parent.pid)) < 5 and time.monotonic() - t0 < 2:
        time.sleep(0.0005)
    refork = time.monotonic() - t0
    first_warm = min(fcgi_request(sock, hello)[0] for _ in range(5))
    os.killpg(parent.pid, 15)
    parent.wait()
    # A cold exec, to the first byte of hello.
    cold = []
    for i in range(5):
        s = os.path.join(d, f"cold-{i}.sock")
        t0 = time.monotonic()
        p = start(s, 0)
        first, _ = wait_ready(s, hello)
        cold.append(time.monotonic() - t0)
        p.terminate()
        p.wait()
    print(f"one instance alone:            PSS {one[0] / 1024:.1f} MiB, RSS {one[1] / 1024:.1f} MiB")
    print(f"fresh set, 1 parent + 5 idle:  PSS {fresh_set[0] / 1024:.1f} MiB, RSS {fresh_set[1] / 1024:.1f} MiB")
    for k, (pss, rss, c) in results.items():
        label = "4 processes of their own" if k == "own" else "1 parent + 4 forked children"
        print(f"{label:30} PSS {pss / 1024:.1f} MiB, RSS {rss / 1024:.1f} MiB, apcu_inc x4 -> "
              f"{[x.decode().split()[0] for x in c]}")
    print(f"cold exec to first byte (min/median of 5): {min(cold) * 1000:.1f} / {sorted(cold)[2] * 1000:.1f} ms")
    print(f"warm parent re-forks a killed child in:     {refork * 1000:.1f} ms (polling /proc)")
    print(f"first byte from an already-forked child:    {first_warm * 1000:.2f} ms")


if __name__ == "__main__":
    sys.exit(main())

"""The farm test's client (tests/e2e/test_farm.py), run inside the balancer's
network namespace (it reaches nothing else). Standard library only.

  farm_load.py load URL USERS OUT STOP SECONDS
      USERS threads, one user each: log in once, then count in the session
      (count.php) and upload a file every fifth request (upload.php), until the
      file STOP exists or SECONDS passed. One JSON line per request in OUT:
      {"u", "kind", "t0", "t1" (CLOCK_MONOTONIC, shared by every namespace),
       "status" (0: no answer), "addr" (the node's SERVER_ADDR), "n", "file", "error"}
  farm_load.py probe URL NAME
      Uploads NAME through the balancer, then reads it back through each node
      (HAProxy's use-server on the X-Node header); prints one JSON object.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

BOUNDARY = "ghfarmboundary"


class User:
    def __init__(self, host, port, name):
        self.host, self.port, self.name = host, port, name
        self.cookie = None
        self.conn = None

    def request(self, method, path, body=b"", headers=None):
        """(status, body text, error); a new connection after any failure."""
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read().decode(errors="replace")
            for k, v in r.getheaders():
                if k.lower() == "set-cookie" and v.startswith("PHPSESSID="):
                    self.cookie = v.split(";", 1)[0]
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, data, ""
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return 0, "", repr(e)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self):
        body = urllib.parse.urlencode({"user": self.name}).encode()
        return self.request("POST", "/login.php", body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, name, content, node=None):
        body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{name}\r\n"
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"{name}\"\r\n"
                f"Content-Type: text/plain\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n").encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        if node:
            headers["X-Node"] = node
        return self.request("POST", "/upload.php", body, headers)


def parse_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80


def run_user(host, port, index, out, lock, stop, until):
    user = User(host, port, f"user{index}")

    def record(kind, t0, status, text, error, **extra):
        rec = {"u": user.name, "kind": kind, "t0": t0, "t1": time.monotonic(), "status": status, "error": error,
               "addr": "", "n": None, "file": None}
        words = text.split()
        if status == 200 and kind == "count" and len(words) == 3:
            rec["n"], rec["addr"] = int(words[1]), words[2]
        elif status == 200 and len(words) == 2:
            rec["addr"] = words[1]
        rec.update(extra)
        with lock:
            out.write(json.dumps(rec) + "\n")
            out.flush()

    t0 = time.monotonic()
    status, text, error = user.login()
    record("login", t0, status, text, error)
    for i in range(1, 1000000):  # bounded by `until` long before
        if os.path.exists(stop) or time.monotonic() > until:
            break
        t0 = time.monotonic()
        if i % 5 == 0:
            name = f"{user.name}-{i}.txt"
            status, text, error = user.upload(name, f"{user.name} upload {i}")
            record("upload", t0, status, text, error, file=name)
        else:
            status, text, error = user.request("GET", "/count.php")
            record("count", t0, status, text, error)
        if status == 403:  # the session was lost: log in again (the test counts this as a failure)
            user.login()
    user.close()


def load(url, users, out_path, stop, seconds):
    host, port = parse_url(url)
    until = time.monotonic() + float(seconds)
    lock = threading.Lock()
    with open(out_path, "w") as out:
        threads = [threading.Thread(target=run_user, args=(host, port, i, out, lock, stop, until))
                   for i in range(int(users))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(float(seconds) + 60)


def probe(url, name):
    host, port = parse_url(url)
    user = User(host, port, "prober")
    result = {"login": user.login()[0]}
    status, text, _ = user.upload(name, f"probe {name}")
    result["upload"] = [status, text]
    for node in ("a", "b"):
        s, body, _ = user.request("GET", f"/show.php?name={name}", headers={"X-Node": node})
        result[node] = [s, body]
    user.close()
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(*sys.argv[2:7])
    elif sys.argv[1] == "probe":
        probe(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: farm_load.py load URL USERS OUT STOP SECONDS | probe URL NAME")

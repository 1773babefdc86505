"""The farm test's set-up (test_farm.py): network namespaces joined by a bridge,
the shared folder, the configuration of both nodes, HAProxy, Redis, the nodes
and the load generator; Farm.stop() undoes all of it, in reverse order."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from ghtest import BIN, write

HERE = os.path.dirname(os.path.abspath(__file__))
LB, A, B, REDIS = "10.77.0.1", "10.77.0.11", "10.77.0.12", "10.77.0.20"
NODE_ADDR = {"a": A, "b": B}
USERS = 6
INTER_MS, FALL, RISE = 300, 2, 2

APP = {
    "public/login.php": """<?php
session_start();
$_SESSION['user'] = (string)($_POST['user'] ?? '');
$_SESSION['n'] = 0;
echo 'ok ', $_SERVER['SERVER_ADDR'];
""",
    "public/count.php": """<?php
session_start();
if (($_SESSION['user'] ?? '') === '') { http_response_code(403); exit('no session'); }
usleep(20000);  // long enough for requests to be in flight when a node dies
$_SESSION['n']++;
echo $_SESSION['user'], ' ', $_SESSION['n'], ' ', $_SERVER['SERVER_ADDR'];
""",
    "public/upload.php": """<?php
session_start();
if (($_SESSION['user'] ?? '') === '') { http_response_code(403); exit('no session'); }
$name = preg_replace('/[^a-z0-9.-]/', '', (string)($_POST['name'] ?? ''));
$f = $_FILES['f'] ?? null;
if ($name === '' || !$f || $f['error'] !== UPLOAD_ERR_OK) { http_response_code(400); exit('bad upload'); }
if (!move_uploaded_file($f['tmp_name'], dirname(__DIR__) . '/uploads/' . $name)) { http_response_code(500); exit; }
echo $name, ' ', $_SERVER['SERVER_ADDR'];
""",
    "public/show.php": """<?php
$name = preg_replace('/[^a-z0-9.-]/', '', (string)($_GET['name'] ?? ''));
$path = dirname(__DIR__) . '/uploads/' . $name;
if ($name === '' || !is_file($path)) { http_response_code(404); exit('missing ' . $_SERVER['SERVER_ADDR']); }
echo file_get_contents($path), '|', $_SERVER['SERVER_ADDR'];
""",
}


# GET /ready on a node's admin port from inside a namespace: what came back (b'' when closed unanswered).
PEEK = """import socket
s = socket.create_connection(("{addr}", 9180), 5)
s.sendall(b"GET /ready HTTP/1.0\\r\\n\\r\\n")
try:
    print(repr(s.recv(64)))
except ConnectionResetError:
    print(repr(b""))
"""


def need(program):
    path = shutil.which(program)
    if path is None:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{program} missing: run scripts/deps.sh")
        raise unittest.SkipTest(f"{program} missing (scripts/deps.sh installs it)")
    return path


def run(*cmd, timeout=20):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}: {p.stdout}{p.stderr}")
    return p.stdout


def wait_for(predicate, timeout, what, every=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def nfs_available():
    """Why NFS cannot be used here (empty: it could)."""
    with open("/proc/filesystems") as f:
        kinds = {line.split()[-1] for line in f if line.strip()}
    missing = [k for k in ("nfsd", "nfs") if k not in kinds]
    if missing:
        return f"the kernel has no {' or '.join(missing)} file system (/proc/filesystems) and no modules to load"
    return ""


def existing_ids(name):
    import pwd
    try:
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return None


def pin(name, start):
    """The ids an account has on this machine, or free ones: the same on both nodes (one machine)."""
    import grp
    import pwd
    if ids := existing_ids(name):
        return ids
    for i in range(start, start + 900):
        try:
            pwd.getpwuid(i)
            continue
        except KeyError:
            pass
        try:
            grp.getgrgid(i)
        except KeyError:
            return i, i
    raise AssertionError("no free id")


def descendants(pid):
    """pid and every process below it (bounded walk over /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo and len(out) < 10000:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def exited(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


class Farm:
    """The namespaces, the shared folder and every process; stop() undoes all of it."""

    def __init__(self):
        self.tag = f"ghf{os.getpid() % 100000}"
        self.ns = {role: f"{self.tag}-{role}" for role in ("lb", "a", "b", "redis")}
        self.undo = []  # callables, run last first
        self.procs = {}
        self.dir = tempfile.mkdtemp(prefix="gh-farm-", dir="/var/tmp")  # not /tmp: maybe tmpfs
        os.chmod(self.dir, 0o755)
        self.undo.append(lambda: shutil.rmtree(self.dir, True))
        self.shared = os.path.join(self.dir, "shared")
        self.shared_kind = ""

    # -- network ---------------------------------------------------------------
    def enter(self, role):
        return ["nsenter", f"--net=/run/netns/{self.ns[role]}"]

    def make_network(self):
        for role, name in self.ns.items():
            run("ip", "netns", "add", name)
            self.undo.append(lambda n=name: subprocess.run(["ip", "netns", "del", n], timeout=20))
        lb = self.ns["lb"]
        run("ip", "-n", lb, "link", "add", "ghf-br", "type", "bridge")
        run("ip", "-n", lb, "addr", "add", f"{LB}/24", "dev", "ghf-br")
        run("ip", "-n", lb, "link", "set", "ghf-br", "up")
        for role, addr in (("a", A), ("b", B), ("redis", REDIS)):
            outer, inner = f"{self.tag}{role[0]}o", f"{self.tag}{role[0]}i"  # <= 15 characters
            run("ip", "link", "add", outer, "netns", lb, "type", "veth", "peer", "name", inner, "netns",
                self.ns[role])
            run("ip", "-n", lb, "link", "set", outer, "master", "ghf-br", "up")
            run("ip", "-n", self.ns[role], "addr", "add", f"{addr}/24", "dev", inner)
            run("ip", "-n", self.ns[role], "link", "set", inner, "up")
        for name in self.ns.values():
            run("ip", "-n", name, "link", "set", "lo", "up")

    # -- shared folder -----------------------------------------------------------
    def make_shared_folder(self):
        why_not_nfs = nfs_available()
        export = os.path.join(self.dir, "export")
        os.makedirs(export)
        os.makedirs(self.shared)
        if why_not_nfs:
            run("mount", "--bind", export, self.shared)
            self.undo.append(lambda: subprocess.run(["umount", "-l", self.shared], timeout=20))
            self.shared_kind = f"bind mount of {export} (NFSv3 not possible: {why_not_nfs})"
        else:  # not reached in this sandbox; kept honest rather than untested
            raise AssertionError("this kernel has NFS: extend the test to export " + export + " over NFSv3")
        for rel, text in APP.items():
            write(os.path.join(self.shared, "app", rel), text)
        for d in ("uploads", "tmp"):
            os.makedirs(os.path.join(self.shared, "app", d))
        write(os.path.join(self.shared, "php.ini"), f"""cgi.fix_pathinfo = 0
session.save_handler = redis
session.save_path = "tcp://{REDIS}:6379?prefix=ghfarm:"
redis.session.locking_enabled = 1
; a node that dies holding a lock: it expires after 2 s, and a waiting request retries for up to 4 s
redis.session.lock_expire = 2
redis.session.lock_wait_time = 20000
redis.session.lock_retries = 200
upload_tmp_dir = "{self.shared}/app/tmp"
""")

    # -- configuration -----------------------------------------------------------
    def write_configs(self):
        # The farm's own accounts (names no other test uses), pinned; removed at the end. gh-front is
        # every split server's: pinned to the ids it has, if it exists (else another test may be
        # creating it right now, with ids of its choosing).
        pool_uid, pool_gid = pin("gh-pool-ghfarm", 64100)
        anon_uid, anon_gid = pin("ghf-iusr", 64200)
        for name in ("gh-pool-ghfarm", "ghf-iusr"):
            self.undo.append(lambda n=name: subprocess.run(["sh", "-c", f"userdel {n}; groupdel {n}"],
                                                           capture_output=True, timeout=20))
        front = existing_ids("gh-front")
        front_pins = f"front_uid = {front[0]}\nfront_gid = {front[1]}\n" if front else ""
        body = f"""# the farm's configuration: the same on both nodes but for [node]
[server]
threads = 2
trusted_proxies = ["{LB}"]
shutdown_timeout = "10s"

[server.admin]
listen = "0.0.0.0:9180"
allow = ["{LB}"]  # the balancer's health checks; every other peer is closed unanswered

[accounts]
anonymous = "ghf-iusr"
anonymous_uid = {anon_uid}
anonymous_gid = {anon_gid}
{front_pins}
[[pools]]
name = "ghfarm"
php_ini = "{self.shared}/php.ini"
uid = {pool_uid}
gid = {pool_gid}

[pools.fastcgi]
max_instances = 4

[[sites]]
name = "farm"
bindings = ["http://*:8080:*"]
app_root = "{self.shared}/app"
physical_path = "{self.shared}/app/public"
pool = "ghfarm"
proxy_protocol = true
writable = ["{self.shared}/app/uploads"]
"""
        self.config = {}
        for node in ("a", "b"):
            local = os.path.join(self.dir, f"node-{node}")
            os.makedirs(local)
            self.config[node] = os.path.join(self.dir, f"{node}.toml")
            write(self.config[node], body + f'\n[node]\nname = "{node}"\nstate_dir = "{local}/state"\n'
                                            f'log_dir = "{local}/log"\n')

    # -- processes ---------------------------------------------------------------
    def spawn(self, key, role, argv):
        log = open(os.path.join(self.dir, f"{key}.out"), "ab")
        proc = subprocess.Popen(self.enter(role) + argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs[key] = proc
        return proc

    def output(self, key):
        try:
            with open(os.path.join(self.dir, f"{key}.out"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def start_redis(self):
        self.spawn("redis", "redis", [need("redis-server"), "--bind", REDIS, "--port", "6379", "--save", "",
                                      "--appendonly", "no", "--protected-mode", "no", "--dir", self.dir])

    def start_haproxy(self):
        self.stats = os.path.join(self.dir, "haproxy.sock")
        cfg = os.path.join(self.dir, "haproxy.cfg")
        write(cfg, f"""global
    maxconn 2000
    stats socket {self.stats} mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    retries 3
    option redispatch 1
    option http-server-close

frontend web
    bind {LB}:80
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    default-server check port 9180 inter {INTER_MS}ms fall {FALL} rise {RISE} send-proxy-v2
    use-server a if {{ req.hdr(x-node) -m str a }}
    use-server b if {{ req.hdr(x-node) -m str b }}
    server a {A}:8080
    server b {B}:8080
""")
        self.spawn("haproxy", "lb", [need("haproxy"), "-db", "-f", cfg])
        wait_for(lambda: os.path.exists(self.stats), 10, "HAProxy's stats socket")

    def start_node(self, node):
        return self.spawn(f"node-{node}", node, [BIN, "serve", "--config", self.config[node]])

    def haproxy_status(self):
        """{"a": "UP", "b": "DOWN 1/2", ...} from HAProxy's stats socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(self.stats)
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        out = {}
        for line in data.decode().splitlines():
            f = line.split(",")
            if len(f) > 17 and f[0] == "nodes" and f[1] in ("a", "b"):
                out[f[1]] = f[17]
        return out

    def wait_status(self, node, want, timeout=20):
        return wait_for(lambda: self.haproxy_status().get(node) == want and time.monotonic(), timeout,
                        f"HAProxy to mark {node} {want} (now {self.haproxy_status()})")

    def kill_node(self, node):
        """SIGKILL to every process of the node at once: supervisor, front, workers.
        Returns their pids and when the last of them had exited (its sockets closed)."""
        proc = self.procs[f"node-{node}"]
        pids = descendants(proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(10)
        dead = wait_for(lambda: all(exited(p) for p in pids) and time.monotonic(), 10, "the killed node to exit",
                        every=0.001)
        return pids, dead

    def gh(self, *args, timeout=60):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)

    def stop(self):
        for key, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    for pid in descendants(proc.pid):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    proc.wait(10)
        for pid in [p.pid for k, p in self.procs.items() if k.startswith("node-")]:
            remove_cgroups(pid)
        errors = []
        for undo in reversed(self.undo):
            try:
                undo()
            except Exception as e:  # noqa: BLE001 - every step runs; the first error is raised after
                errors.append(e)
        if errors:
            raise errors[0]


def remove_cgroups(pid):
    """The pool cgroups a SIGKILLed supervisor left (gatehouse-PID), deepest first."""
    root = "/sys/fs/cgroup"
    found = []
    for top, dirs, _ in os.walk(root):
        if top.count("/") > 10:
            dirs[:] = []
            continue
        for d in dirs:
            if d == f"gatehouse-{pid}":
                found.append(os.path.join(top, d))
    for group in found:
        for sub, _, _ in sorted(os.walk(group), key=lambda w: -w[0].count("/")):
            try:
                os.rmdir(sub)
            except OSError:
                pass


class Load:
    """farm_load.py in the balancer's namespace, writing one JSON line per request."""

    def __init__(self, farm, seconds=90):
        self.out = os.path.join(farm.dir, "load.jsonl")
        self.stop_file = os.path.join(farm.dir, "load.stop")
        with open(os.path.join(farm.dir, "load.err"), "wb") as err:
            self.proc = subprocess.Popen(
                farm.enter("lb") + [sys.executable, os.path.join(HERE, "farm_load.py"), "load", f"http://{LB}:80/",
                                    str(USERS), self.out, self.stop_file, str(seconds)],
                stdout=subprocess.DEVNULL, stderr=err)

    def records(self):
        try:
            with open(self.out) as f:
                return [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            return []

    def finish(self):
        write(self.stop_file, "")
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.records()

"""The farm (issue 18): two Gatehouse nodes behind HAProxy, sessions in Redis,
application files on a shared folder, a node drained and restarted, then a
node lost under load. Everything runs on this machine, in network namespaces
the test makes (and deletes); no address outside them is contacted.

    ns lb: HAProxy 10.77.0.1:80 (bridge ghf-br)     load generator (farm_load.py)
      roundrobin, send-proxy-v2,                     USERS threads -> 10.77.0.1:80
      option httpchk GET /ready on port 9180,
      inter 300ms fall 2 rise 2, retries + redispatch
          |  veth                   |  veth                     |  veth
    ns a: gatehouse 10.77.0.11   ns b: gatehouse 10.77.0.12   ns redis: redis-server 10.77.0.20:6379
      :8080 (PROXY v2), :9180 admin   (the same)                 sessions of both nodes
          \\________________________/
           shared folder: app tree, uploads, php.ini, upload_tmp_dir

Shared folder: a bind mount (one folder mounted at the path both nodes' single
configuration names). NFSv3 from a namespace was the first choice, but this
sandbox's kernel has neither the NFS server nor the NFS client (no `nfsd` or
`nfs` in /proc/filesystems, no modules to load); the test checks that first
and prints which one it used. The permission tool's plan is applied there
(`perms apply`), with the accounts' ids pinned in the configuration.

Scenario under load (every user counts in its session, every fifth request an
upload): an upload through the balancer is read back through each node; node a
is drained (`gatehouse drain --stop`), then started again: 0 failed requests.
Then node b gets SIGKILL (its supervisor, front and workers): only requests in
flight then may fail (they are counted), no request that started after the kill
fails, every session survives (its count goes on), and HAProxy marks b down
within its health-check interval (measured from the kill). The figures are
printed for the lead to quote."""
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


def failed(r):
    return r["status"] != 200


class FarmTest(unittest.TestCase):
    def setUp(self):
        for program in ("haproxy", "redis-server", "ip", "nsenter"):
            need(program)
        if os.geteuid() != 0:
            if os.environ.get("CI") == "true":
                raise AssertionError("the farm test needs root (network namespaces, mounts, accounts)")
            self.skipTest("needs root")
        self.farm = Farm()
        self.addCleanup(self.farm.stop)

    def test_drain_restart_and_a_node_lost_under_load(self):
        farm = self.farm
        t_setup = time.monotonic()
        farm.make_network()
        farm.make_shared_folder()
        farm.write_configs()
        # One configuration for the farm: both node files have the same fingerprint.
        prints = []
        for node in ("a", "b"):
            r = farm.gh("check", "--farm", "--config", farm.config[node])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            prints.append([l for l in r.stdout.splitlines() if l.startswith("fingerprint ")])
        self.assertEqual(prints[0], prints[1])
        self.assertEqual(len(prints[0]), 1)
        # The permission plan applied on the shared folder (once: both nodes see the same files).
        r = farm.gh("perms", "apply", "--config", farm.config["a"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        farm.start_redis()
        farm.start_haproxy()
        for node in ("a", "b"):  # one after the other: on one machine they would race to create the accounts
            farm.start_node(node)
            farm.wait_status(node, "UP")
        print(f"\nfarm: up in {time.monotonic() - t_setup:.1f}s; shared folder: {farm.shared_kind}", flush=True)
        # The admin listener answers the balancer only ([server.admin] allow): node b is closed unanswered.
        self.assertIn("200 OK", run(*farm.enter("lb"), sys.executable, "-c", PEEK.format(addr=A)))
        self.assertEqual(run(*farm.enter("b"), sys.executable, "-c", PEEK.format(addr=A)).strip(), "b''")

        # An upload through the balancer is read back through each node.
        probe = json.loads(run(*farm.enter("lb"), sys.executable, os.path.join(HERE, "farm_load.py"), "probe",
                               f"http://{LB}:80/", "probe1.txt"))
        self.assertEqual(probe["upload"][0], 200, probe)
        for node in ("a", "b"):
            self.assertEqual(probe[node], [200, f"probe probe1.txt|{NODE_ADDR[node]}"], probe)

        load = Load(farm)
        try:
            wait_for(lambda: len(load.records()) >= 60, 30, "the load to get going", every=0.1)
            # Drain node a and restart it: no request fails.
            t_drain = time.monotonic()
            drain = subprocess.Popen([BIN, "drain", "--config", farm.config["a"], "--quiet", "1", "--deadline", "20",
                                      "--stop"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            t_a_down = farm.wait_status("a", "DOWN")
            out, err = drain.communicate(timeout=60)
            t_drained = time.monotonic()
            self.assertEqual(drain.returncode, 0, out + err)
            self.assertEqual(farm.procs["node-a"].wait(30), 0, farm.output("node-a"))
            farm.start_node("a")
            t_a_up = farm.wait_status("a", "UP")
            wait_for(lambda: any(r["addr"] == A and r["t0"] > t_a_up for r in load.records()), 10,
                     "node a to serve again", every=0.1)
            probe2 = json.loads(run(*farm.enter("lb"), sys.executable, os.path.join(HERE, "farm_load.py"), "probe",
                                    f"http://{LB}:80/", "probe2.txt"))
            time.sleep(1)
            # Lose node b.
            t_kill = time.monotonic()
            killed, t_dead = farm.kill_node("b")
            t_b_down = farm.wait_status("b", "DOWN", timeout=10)
            time.sleep(2)
        finally:
            records = load.finish()
        t_end = time.monotonic()

        before_kill = [r for r in records if r["t1"] < t_kill]
        drain_window = [r for r in records if t_drain <= r["t1"] < t_drained]
        restart_window = [r for r in records if t_drained <= r["t1"] < t_a_up]
        fails_drain = [r for r in before_kill if failed(r)]
        fails_kill = [r for r in records if failed(r) and r["t1"] >= t_kill]
        # In flight on the dying node: begun before its last process had exited (a kill takes a moment).
        in_flight_at_kill = [r for r in records if r["t0"] < t_dead and r["t1"] >= t_kill]
        seen = [l for l in out.splitlines() if l.startswith("drained in")]
        served_by_a_while_down = [r for r in records if r["addr"] == A and t_a_down + 0.5 < r["t0"] < t_a_up - 1]
        served_by_b_after = [r for r in records if r["addr"] == B and r["t0"] > t_b_down]
        print(f"farm: {len(records)} requests in {t_end - load_start(records):.1f}s through HAProxy "
              f"({sum(1 for r in records if r['kind'] == 'upload')} uploads), {USERS} users\n"
              f"farm: drain of a: HAProxy marked a down {t_a_down - t_drain:.2f}s after `gatehouse drain`; "
              f"{seen[0] if seen else out!r}; drain + stop took {t_drained - t_drain:.1f}s "
              f"({len(drain_window)} requests through HAProxy meanwhile), a was back UP "
              f"{t_a_up - t_drained:.1f}s later ({len(restart_window)} requests meanwhile); "
              f"failed requests before the kill: {len(fails_drain)}\n"
              f"farm: SIGKILL of b ({len(killed)} processes, all gone {1000 * (t_dead - t_kill):.0f}ms after "
              f"the kill): {len(fails_kill)} failed requests, of {len(in_flight_at_kill)} in flight on both nodes; "
              f"HAProxy marked b down {t_b_down - t_kill:.2f}s after the kill (inter {INTER_MS}ms, fall {FALL})",
              flush=True)

        self.assertEqual(fails_drain, [], "a drained node must cost no request")
        self.assertTrue(seen, out)
        self.assertIn("no request in flight", out)
        self.assertEqual(served_by_a_while_down, [], "HAProxy sent to a while it was down")
        self.assertEqual(probe2["upload"][0], 200, probe2)
        for node in ("a", "b"):  # uploaded while a was restarting or after: on the shared folder
            self.assertEqual(probe2[node], [200, f"probe probe2.txt|{NODE_ADDR[node]}"], probe2)
        # Only requests in flight on b could fail: none that started after b was gone.
        for r in fails_kill:
            self.assertLess(r["t0"], t_dead, r)
        self.assertLessEqual(len(fails_kill), USERS)
        self.assertEqual(served_by_b_after, [])
        self.assertLessEqual(t_b_down - t_kill, (FALL + 1) * INTER_MS / 1000 + 1.0,
                             "HAProxy took longer than its health-check interval to stop sending to b")
        self.check_sessions(records, t_kill)
        self.check_uploads(records, farm)

    def check_sessions(self, records, t_kill):
        """Every user's count goes up by one per answered request, across nodes and the kill;
        a request that failed may or may not have counted (+1 or +2 after it)."""
        by_user = {}
        for r in sorted(records, key=lambda r: r["t0"]):
            by_user.setdefault(r["u"], []).append(r)
        self.assertEqual(len(by_user), USERS)
        for user, rs in by_user.items():
            self.assertNotIn(403, [r["status"] for r in rs], f"{user} lost its session")
            last, gap, nodes, after_kill = 0, False, set(), 0
            for r in rs:
                if r["kind"] != "count":
                    continue
                if failed(r):
                    gap = True
                    continue
                allowed = (last + 1, last + 2) if gap else (last + 1,)
                self.assertIn(r["n"], allowed, f"{user}: count {r['n']} after {last} ({r})")
                last, gap = r["n"], False
                nodes.add(r["addr"])
                after_kill += r["t0"] > t_kill
            self.assertEqual(nodes, {A, B}, f"{user} was served by both nodes")
            self.assertGreater(after_kill, 0, f"{user} went on after the kill")

    def check_uploads(self, records, farm):
        uploads = [r for r in records if r["kind"] == "upload" and r["status"] == 200]
        self.assertGreater(len(uploads), USERS)
        folder = os.path.join(farm.shared, "app", "uploads")
        present = set(os.listdir(folder))
        for r in uploads:
            self.assertIn(r["file"], present)
        by = {r["addr"] for r in uploads}
        self.assertEqual(by, {A, B}, "uploads were taken by both nodes")


def load_start(records):
    return min((r["t0"] for r in records), default=time.monotonic())


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Cluster suite: natss3d, natss3ctl (and readers of both) on a 3-node NATS JetStream cluster
with an R3 bucket, while nodes are killed (SIGKILL) and restarted one after the other and one
is paused (SIGSTOP) for a few seconds.

Clients are boto3 with the SDK's standard retry mode (3 attempts). Every acknowledged PUT is
read back and verified at once (through the other gateway half of the time), and again after
the faults, one by one, where no GET may stall longer than MAX_STALL seconds.

Usage: cluster_harness.py --bin-dir BUILD [--duration-scale F] SCENARIO
Scenarios: failover (kills and pause under load, then the read-back), gateways (two gateways
and natss3ctl on the same bucket, listing convergence after a failover).
Exit status 0 on success; prints the figures (requests, failures, p99, max, time to steady).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import s3_clients  # noqa: E402
from harness_common import (Failure, abort_fuse_connection, check, die_with_parent,  # noqa: E402
                            free_port, log,
                            run_ctl, sha, start_nats_server, start_natss3d, stop_process)

MAX_STALL = 2.0  # seconds a read-back GET may take at most
BUCKET = "clus"


def pct(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def last_error(r):
    """The error lines of a natss3ctl run (its stderr at debug level is long)."""
    lines = r.stderr.decode(errors="replace").splitlines()
    errors = [ln for ln in lines if "error" in ln.lower()]
    return " | ".join((errors or lines)[-3:])


class Node:
    def __init__(self, work, index, cluster_ports):
        self.index = index
        self.name = "n%d" % index
        self.port = free_port()
        self.http = free_port()
        self.cport = cluster_ports[index]
        self.routes = ",".join("nats://127.0.0.1:%d" % p for i, p in enumerate(cluster_ports)
                               if i != index)
        self.store = os.path.join(work, "store-" + self.name)
        self.log = os.path.join(work, self.name + ".log")
        self.proc = None

    def start(self):
        self.proc = start_nats_server(
            self.port, self.store,
            ["-m", str(self.http), "-n", self.name, "--cluster_name", "natss3", "--cluster",
             "nats://127.0.0.1:%d" % self.cport, "--routes", self.routes],
            self.log, "nats-server %s" % self.name)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        stop_process(self.proc, 10)

    def healthy(self, timeout=60):
        """Waits until the server says JetStream is current (/healthz 200: its streams caught
        up with the others). A rolling restart waits for this before the next server; without
        it, nats-server 2.9 can lose acknowledged messages when the next one dies."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                url = "http://127.0.0.1:%d/healthz" % self.http
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return True
            except Exception:
                pass
            time.sleep(0.1)
        return False

    def jsz(self):
        url = "http://127.0.0.1:%d/jsz?accounts=true&streams=true&config=true" % self.http
        with urllib.request.urlopen(url, timeout=1) as r:
            return json.load(r)


class Cluster:
    def __init__(self, bin_dir, work):
        self.bin_dir = bin_dir
        self.work = work
        cports = [free_port() for _ in range(3)]
        self.nodes = [Node(work, i, cports) for i in range(3)]
        for n in self.nodes:
            n.start()
        self.urls = ",".join("nats://127.0.0.1:%d" % n.port for n in self.nodes)
        self.gateways = []
        self.mounts = []

    def close(self):
        for m in self.mounts:
            m.close()
        for g in self.gateways:
            g.stop()
        for n in self.nodes:
            n.stop()

    def ctl(self, *args, check_rc=True, timeout=60, urls=None, env=None):
        return run_ctl(self.bin_dir, urls or self.urls, self.work, args, env=env,
                       check_rc=check_rc, timeout=timeout)

    def add_bucket(self, bucket):
        # JetStream needs a meta leader first: retry until the cluster formed.
        deadline = time.time() + 60
        while True:
            r = self.ctl("add", bucket, "--replicas", "3", check_rc=False)
            if r.returncode == 0:
                return
            check(time.time() < deadline, "cannot add an R3 bucket: %s" % r.stderr.decode())
            time.sleep(0.5)

    def leader(self, bucket, stream=None):
        """Name of the node leading the bucket's stream, or `stream` (None when unknown)."""
        info = self.stream_info(stream or "OBJ_" + bucket)
        return info.get("cluster", {}).get("leader") if info else None

    def stream_info(self, stream, nodes=None):
        """A running node's view of `stream` (jsz: config, state, cluster), None if unknown."""
        for n in nodes or self.nodes:
            if n.proc.poll() is not None:
                continue
            try:
                for acc in n.jsz().get("account_details", []):
                    for st in acc.get("stream_detail", []):
                        if st.get("name") == stream:
                            return st
            except Exception:
                continue
        return None


class Gateway:
    def __init__(self, cluster, name, urls=None):
        self.log = os.path.join(cluster.work, name + ".log")
        # Debug level: the core logs each failed NATS get (failover diagnostics, see stalls).
        self.proc, self.port = start_natss3d(cluster.bin_dir, urls or cluster.urls,
                                             os.path.join(cluster.work, name), self.log,
                                             extra=("--log-level", "debug"),
                                             name="natss3d %s" % name)

    def client(self):
        # The SDK's standard retry mode (3 attempts, 503 and throttling retried), 10 s timeout.
        return s3_clients.client("http://127.0.0.1:%d" % self.port, anonymous=True,
                                 read_timeout=10, connect_timeout=5,
                                 retries={"mode": "standard"})

    def stop(self):
        stop_process(self.proc)


class Load:
    """Worker threads doing PUT 200 KB + GET-and-verify; a few keys are overwritten so that a
    GET right after a PUT would notice an older version."""

    def __init__(self, cluster, clients, workers=4, size=200 * 1024, prefix="w",
                 cross_gateway=True):
        self.cluster = cluster
        self.cross_gateway = cross_gateway
        self.prefix = prefix
        self.clients = clients
        self.size = size
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ops = []  # (start, duration, kind, ok, detail)
        self.acked = {}  # key -> sha256 of the acknowledged body
        # key -> sha256 of every body PUT to it, in order, from the moment its PUT is sent
        # (a PUT not yet acknowledged, or failed, may still be what a reader gets)
        self.versions = {}
        self.ls_runs = 0
        self.ls_added = []  # warnings of natss3ctl ls that added a name its consumer left out
        self.ls_refused = []  # warnings of natss3ctl ls whose watch refused its initial list
        # (kind, seconds, the last lines natss3ctl logged at debug level) of natss3ctl runs that
        # failed or took longer than SLOW_CTL
        self.slow_ctl = []
        self.threads = [threading.Thread(target=self.worker, args=(w,)) for w in range(workers)]
        self.ctl_thread = threading.Thread(target=self.ctl_reader)

    def record(self, start, kind, ok, detail=""):
        with self.lock:
            self.ops.append((start, time.time() - start, kind, ok, detail))

    def worker(self, w):
        rnd = random.Random(w)
        n = 0
        while not self.stop.is_set():
            n += 1
            # Every fifth put overwrites one of this worker's earlier keys.
            key = "%s%d/o%d" % (self.prefix, w,
                                rnd.randrange(max(1, n // 5)) if n % 5 == 0 else n)
            body = rnd.randbytes(self.size)
            digest = sha(body)
            with self.lock:
                self.versions.setdefault(key, []).append(digest)
            put_c = self.clients[n % len(self.clients)]
            get_c = self.clients[(n // 2 if self.cross_gateway else n) % len(self.clients)]
            t = time.time()
            try:
                put_c.put_object(Bucket=BUCKET, Key=key, Body=body)
            except Exception as e:
                self.record(t, "put", False, "%s: %s" % (key, e))
                continue
            self.record(t, "put", True)
            with self.lock:
                self.acked[key] = digest
            t = time.time()
            try:
                got = get_c.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                ok = sha(got) == digest
                self.record(t, "get", ok, "" if ok else "%s: wrong content" % key)
            except Exception as e:
                self.record(t, "get", False, "%s: %s" % (key, e))

    def ctl_reader(self):
        out = os.path.join(self.cluster.work, "ctl.out")
        rnd = random.Random(99)
        while not self.stop.is_set():
            with self.lock:
                items = list(self.acked.items())
            if not items:
                time.sleep(0.2)
                continue
            key, digest = items[rnd.randrange(len(items))]
            with self.lock:
                # The versions a read may return from now on: the one acknowledged when the
                # read starts, and any PUT to the key after it (overwrites continue meanwhile).
                # Keys the mount and natss3ctl write once have no history: only their version.
                history = self.versions.get(key, [digest])
                first = len(history) - 1 - history[::-1].index(digest)
            t = time.time()
            r = self.cluster.ctl("get", BUCKET, key, "-O", out, "-f", "--no-progress",
                                 check_rc=False)
            if r.returncode != 0:
                self.record(t, "ctl", False, "%s: %s" % (key, r.stderr.decode(errors="replace")))
                continue
            with open(out, "rb") as f:
                got = sha(f.read())
            with self.lock:
                ok = got in self.versions.get(key, [digest])[first:]
            self.record(t, "ctl", ok, "" if ok else "%s: wrong content" % key)
            time.sleep(0.2)

    def start(self):
        for t in self.threads:
            t.start()
        self.ctl_thread.start()

    def finish(self):
        self.stop.set()
        for t in self.threads + [self.ctl_thread]:
            t.join(120)


def figures(ops, events, label):
    lat = [d for (_, d, _, _, _) in ops]
    failed = [o for o in ops if not o[3]]
    steady = []
    t0 = events[0][0] if events else 0
    for i, (t_ev, what) in enumerate(events):
        t_next = events[i + 1][0] if i + 1 < len(events) else float("inf")
        slow = [s + d for (s, d, _, _, _) in ops if t_ev <= s + d < t_next and d > 0.5]
        steady.append((what, (max(slow) - t_ev) if slow else 0.0))
    log("%s: %d requests, %d failed, p50 %.3fs p99 %.3fs max %.3fs" %
        (label, len(ops), len(failed), pct(lat, 50), pct(lat, 99), max(lat) if lat else 0))
    for (t_ev, _), (what, s) in zip(events, steady):
        log("  %s at +%.2fs: steady after %.2fs (last request slower than 0.5s ended then)" %
            (what, t_ev - t0, s))
    for (st, d, kind, ok, detail) in sorted(ops, key=lambda o: -o[1])[:8]:
        log("  slowest: %s %.2fs at +%.2fs%s" % (kind, d, st - t0, "" if ok else " FAILED"))
    for o in failed[:20]:
        log("  FAILED %s at +%.2fs after %.2fs: %s" % (o[2], o[0] - t0, o[1], o[4][:300]))
    return failed


def log_warnings(path, limit=20):
    """Logs a component's last warnings and errors (its log is deleted after the run)."""
    with open(path, errors="replace") as f:
        lines = [ln.rstrip() for ln in f if "error" in ln or "warn" in ln]
    for ln in lines[-limit:]:
        log("  %s: %s" % (os.path.basename(path), ln[:300]))


def log_gateway_warnings(gateways):
    """Logs the gateways' last warnings and errors (a GET whose body was cut off says why)."""
    for g in gateways:
        log_warnings(g.log)


def log_stream_states(cluster, stream):
    """Logs each running node's own view of `stream` (jsz): replicas that hold different
    messages or bytes at the same last sequence have diverged, which no client can repair."""
    for n in cluster.nodes:
        if n.proc.poll() is not None:
            log("  %s: not running" % n.name)
            continue
        st = cluster.stream_info(stream, nodes=[n])
        if st is None:
            log("  %s: reports no %s (or its jsz did not answer)" % (n.name, stream))
            continue
        state, cl = st.get("state", {}), st.get("cluster", {})
        log("  %s: %s messages %s bytes %s seq %s-%s deleted %s subjects %s, leader %s" % (
            n.name, stream, state.get("messages"), state.get("bytes"), state.get("first_seq"),
            state.get("last_seq"), state.get("num_deleted"), state.get("num_subjects"),
            cl.get("leader")))


def read_back(clients, acked, slow=None):
    """Reads every acknowledged object one by one; returns the failures and the latencies.
    GETs slower than MAX_STALL are appended to `slow` as (start time, seconds, key, client)."""
    failures, lat = [], []
    for i, (key, digest) in enumerate(sorted(acked.items())):
        c = clients[i % len(clients)]
        t = time.time()
        try:
            got = sha(c.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            if got != digest:
                failures.append("%s: content is not the acknowledged version" % key)
        except Exception as e:
            failures.append("%s: %s" % (key, e))
        lat.append(time.time() - t)
        if slow is not None and lat[-1] > MAX_STALL:
            slow.append((t, lat[-1], key, i % len(clients)))
    return failures, lat


def explain_stalls(gateways, slow):
    """Logs what the gateways' core logged (failed NATS gets) while each stalled GET ran."""
    for t, d, key, gi in slow[:3]:
        start, end = time.strftime("%H:%M:%S", time.localtime(t - 1)), \
            time.strftime("%H:%M:%S", time.localtime(t + d + 1))
        log("  stalled %.2fs: GET %s through %s from %s" % (
            d, key, os.path.basename(gateways[gi].log), time.strftime("%H:%M:%S", time.localtime(t))))
        try:
            with open(gateways[gi].log, errors="replace") as f:
                lines = [ln.rstrip() for ln in f
                         if ln[12:20] >= start and ln[12:20] <= end and "[debug]" in ln]
        except OSError:
            lines = []
        for ln in lines[:40]:
            log("    " + ln[:240])


def run_faults(cluster, events, scale):
    """kill -9 and restart each node in turn (a follower, the stream leader, the third), waiting
    for /healthz after each restart, then SIGSTOP one node for 4 s. Appends (time, what) to
    `events`."""
    killed = set()
    for want in ("follower", "leader", "any"):
        # Each node once: a follower first, then the stream's leader, then the last one.
        leader = cluster.leader(BUCKET)
        left = [n for n in cluster.nodes if n.name not in killed]
        pick = [n for n in left if (n.name == leader) == (want == "leader")] or left
        node = pick[0] if want != "any" else left[0]
        killed.add(node.name)
        role = "leader" if leader == node.name else "follower"
        events.append((time.time(), "kill -9 %s (%s)" % (node.name, role)))
        log(events[-1][1])
        node.kill()
        time.sleep(4 * scale)
        events.append((time.time(), "restart %s" % node.name))
        log(events[-1][1])
        node.start()
        t = time.time()
        check(node.healthy(), "%s did not catch up within 60s" % node.name)
        log("%s caught up after %.1fs" % (node.name, time.time() - t))
        time.sleep(3 * scale)
    node = cluster.nodes[1]
    events.append((time.time(), "SIGSTOP %s (%s) for 4s" % (
        node.name, "leader" if cluster.leader(BUCKET) == node.name else "follower")))
    log(events[-1][1])
    node.proc.send_signal(signal.SIGSTOP)
    time.sleep(4)
    node.proc.send_signal(signal.SIGCONT)
    events.append((time.time(), "SIGCONT %s" % node.name))
    check(node.healthy(), "%s did not catch up within 60s after SIGCONT" % node.name)
    time.sleep(3 * scale)


def scenario_failover(cluster, scale):
    cluster.add_bucket(BUCKET)
    g1, g2 = Gateway(cluster, "gw1"), Gateway(cluster, "gw2")
    cluster.gateways += [g1, g2]
    clients = [g1.client(), g2.client()]
    load = Load(cluster, clients)
    events = []
    load.start()
    time.sleep(3 * scale)
    run_faults(cluster, events, scale)
    load.finish()
    failed = figures(load.ops, events, "during faults")
    if failed:
        log_gateway_warnings((g1, g2))
    log("acknowledged objects: %d" % len(load.acked))
    for n in cluster.nodes:
        check(n.healthy(), "%s is not current before the read-back" % n.name)
    # Kill one node (the leader) and read everything back with the two others.
    victim = next((n for n in cluster.nodes if n.name == cluster.leader(BUCKET)),
                  cluster.nodes[0])
    log("kill -9 %s (leader) for the read-back" % victim.name)
    t_kill = time.time()
    victim.kill()
    slow = []
    rb_fail, lat = read_back(clients, load.acked, slow)
    log("read-back with %s down: %d GETs, %d failed, p99 %.3fs max %.3fs, took %.1fs" %
        (victim.name, len(lat), len(rb_fail), pct(lat, 99), max(lat) if lat else 0,
         time.time() - t_kill))
    explain_stalls([g1, g2], slow)
    for f in rb_fail[:20]:
        log("  FAILED read-back: %s" % f[:300])
    stalls = [x for x in lat if x > MAX_STALL]
    victim.start()
    check(not failed, "%d client operations failed during the faults" % len(failed))
    check(not rb_fail, "%d read-back GETs failed" % len(rb_fail))
    check(not stalls, "%d read-back GETs stalled longer than %.0fs (max %.2fs)" %
          (len(stalls), MAX_STALL, max(stalls) if stalls else 0))


def scenario_gateways(cluster, scale):
    """Writes through one gateway are listed and read through the other and natss3ctl, before
    and after the stream leader is killed (the listing index's watch comes back on its own)."""
    cluster.add_bucket(BUCKET)
    g1, g2 = Gateway(cluster, "gw1"), Gateway(cluster, "gw2")
    cluster.gateways += [g1, g2]
    c1, c2 = g1.client(), g2.client()
    c2.list_objects_v2(Bucket=BUCKET)  # gateway 2's listing index exists before the failover

    def converge(keys, label):
        t = time.time()
        while True:
            listed = set()
            for page in c2.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
                listed |= {o["Key"] for o in page.get("Contents", [])}
            if keys <= listed:
                log("%s: %d keys listed through gateway 2 after %.2fs" %
                    (label, len(keys), time.time() - t))
                return
            # The watch must come back on its own; how fast depends on the stall probes and on
            # how loaded the machine is (CI runs other suites beside this one): the time is
            # logged, the bound only catches a watch that never returns.
            check(time.time() - t < 30, "%s: gateway 2 lists %d of %d keys after 30s" %
                  (label, len(keys & listed), len(keys)))
            time.sleep(0.05)

    keys = set()
    for i in range(50):
        c1.put_object(Bucket=BUCKET, Key="a%03d" % i, Body=b"x" * (i * 1000))
        keys.add("a%03d" % i)
    converge(keys, "before failover")
    leader = next(n for n in cluster.nodes if n.name == cluster.leader(BUCKET))
    log("kill -9 %s (leader)" % leader.name)
    leader.kill()
    for i in range(50):
        body = b"y" * (i * 1000 + 1)
        c1.put_object(Bucket=BUCKET, Key="b%03d" % i, Body=body)
        check(c2.get_object(Bucket=BUCKET, Key="b%03d" % i)["Body"].read() == body,
              "gateway 2 does not read b%03d as written through gateway 1" % i)
        keys.add("b%03d" % i)
    converge(keys, "after failover")
    r = cluster.ctl("ls", BUCKET)
    out = r.stdout.decode()
    check(all(k in out for k in keys), "natss3ctl ls misses keys after the failover")
    leader.start()
    def multipart_over(first, second, key, fills, label):
        """A multipart upload created through `first`, its parts alternating between the
        gateways, completed through `second`, read back through `first`."""
        t = time.time()
        up = first.create_multipart_upload(Bucket=BUCKET, Key=key)
        steps = ["create %.2fs" % (time.time() - t)]
        parts = []
        for n, fill in enumerate(fills, 1):
            c = first if n % 2 else second
            t = time.time()
            r = c.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=n,
                              Body=bytes([fill]) * (5 * 1024 * 1024))
            steps.append("part %d %.2fs" % (n, time.time() - t))
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        t = time.time()
        second.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"],
                                         MultipartUpload={"Parts": parts})
        steps.append("complete %.2fs" % (time.time() - t))
        log("multipart %s: %s" % (label, ", ".join(steps)))
        got = first.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        check(got == b"".join(bytes([f]) * (5 * 1024 * 1024) for f in fills),
              "multipart object %s reads back wrong" % label)
        log("multipart %s: ok" % label)

    # A multipart upload spread over both gateways while the restarted node catches up.
    multipart_over(c1, c2, "multi", [1, 2, 3], "over two gateways after the restart")

    # The record store (multipart uploads, bucket configuration) is replicated like the
    # buckets (with one replica, losing its node stops every multipart upload).
    records = "KV_natss3_uploads"
    deadline = time.time() + 30
    while True:
        # The leader's own view says whether its followers are current.
        info = cluster.stream_info(records) or {}
        lead = next((n for n in cluster.nodes
                     if n.name == info.get("cluster", {}).get("leader")), None)
        if lead is not None:
            info = cluster.stream_info(records, nodes=[lead]) or info
        replicas = info.get("config", {}).get("num_replicas", 0)
        current = [r.get("name") for r in info.get("cluster", {}).get("replicas", []) or []
                   if r.get("current")]
        if replicas == 3 and len(current) == 2:
            break
        check(time.time() < deadline, "record store %s: %d replicas, not 3 current: %s" %
              (records, replicas, info.get("cluster")))
        time.sleep(0.2)
    log("record store %s: 3 replicas, all current" % records)
    # A Complete answered late (the store's leader election) is retried by the client after
    # its read timeout; the retry must get the Complete's answer, not NoSuchUpload.
    rec_leader = next(n for n in cluster.nodes if n.name == cluster.leader(None, records))
    log("kill -9 %s (leader of %s)" % (rec_leader.name, records))
    rec_leader.kill()
    multipart_over(c2, c1, "multi2", [9, 10], "with the record store's leader killed")
    rec_leader.start()

class Mount:
    """natss3fs (foreground, all three server URLs) mounting the bucket on a temporary dir."""

    def __init__(self, cluster, bucket):
        self.dir = tempfile.mkdtemp(prefix="mnt", dir=cluster.work)
        cache = os.path.join(cluster.work, "fscache")
        os.makedirs(cache, exist_ok=True)
        self.proc = subprocess.Popen(
            [os.path.join(cluster.bin_dir, "fuse", "natss3fs"), "-f", "--server", cluster.urls,
             "--bucket", bucket, "--cache-dir", cache, self.dir],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(cluster.work, "natss3fs.log"), "ab"),
            preexec_fn=die_with_parent)
        deadline = time.time() + 30
        while not os.path.ismount(self.dir):
            check(time.time() < deadline and self.proc.poll() is None, "natss3fs did not mount")
            time.sleep(0.05)
        self.minor = os.minor(os.stat(self.dir).st_dev)  # names its fusectl connection

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def close(self):
        """Unmounts (open files are flushed first); a mount that does not let go in 30 s is
        aborted through fusectl, so the harness never hangs on it."""
        if self.proc.poll() is None:
            try:
                subprocess.run(["fusermount3", "-u", self.dir], capture_output=True, timeout=30)
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                abort_fuse_connection(self.minor)
                self.proc.kill()
                self.proc.wait(10)
        subprocess.run(["fusermount3", "-uz", self.dir], capture_output=True, timeout=30)


class ClientLoops:
    """The mount and natss3ctl side of the mixed load, beside the S3 workers (Load):
    a thread writing files through the mount (open-write-close, every fifth one overwriting an
    earlier file) and reading each back through the mount at once, and a thread running fresh
    natss3ctl processes: put a small file, get it back, and every fifth time ls the bucket,
    which must list the name just put. ops/acked as in Load."""

    def __init__(self, cluster, mount, load):
        self.cluster = cluster
        self.mount = mount
        self.load = load  # shares its stop event, lock, ops and acked
        self.threads = [threading.Thread(target=self.fuse_loop),
                        threading.Thread(target=self.ctl_loop)]

    def fuse_loop(self):
        ld = self.load
        rnd = random.Random(7)
        n = 0
        while not ld.stop.is_set():
            n += 1
            key = "fs-%d" % (rnd.randrange(1, n) if n % 5 == 0 and n > 1 else n)
            body = rnd.randbytes(rnd.randrange(1, 256 * 1024))
            digest = sha(body)
            with ld.lock:  # every fifth write overwrites: the readers accept later versions
                ld.versions.setdefault(key, []).append(digest)
            path = self.mount.path(key)
            t = time.time()
            try:
                with open(path, "wb") as f:
                    f.write(body)
            except OSError as e:
                ld.record(t, "fuse-write", False, "%s: %s" % (key, e))
                continue
            ld.record(t, "fuse-write", True)
            with ld.lock:
                ld.acked[key] = digest
            t = time.time()
            try:
                with open(path, "rb") as f:
                    ok = sha(f.read()) == digest
                ld.record(t, "fuse-read", ok, "" if ok else "%s: wrong content" % key)
            except OSError as e:
                ld.record(t, "fuse-read", False, "%s: %s" % (key, e))

    SLOW_CTL = 10.0

    def ctl_op(self, kind, *args):
        """natss3ctl `args` at debug level; a run that fails or is slow keeps its log's tail."""
        t = time.time()
        r = self.cluster.ctl(*args, check_rc=False, env={"NATSS3_LOG_LEVEL": "debug"})
        took = time.time() - t
        if r.returncode != 0 or took > self.SLOW_CTL:
            tail = r.stderr.decode(errors="replace").splitlines()[-12:]
            with self.load.lock:
                self.load.slow_ctl.append((kind, took, r.returncode, tail))
        return t, r

    def ctl_loop(self):
        ld = self.load
        rnd = random.Random(11)
        src = os.path.join(self.cluster.work, "ctl-src")
        out = os.path.join(self.cluster.work, "ctl-loop.out")
        n = 0
        while not ld.stop.is_set():
            n += 1
            key = "ctl-%d" % n
            body = rnd.randbytes(rnd.randrange(1, 32 * 1024))
            with ld.lock:
                ld.versions.setdefault(key, []).append(sha(body))
            with open(src, "wb") as f:
                f.write(body)
            t, r = self.ctl_op("ctl-put", "put", BUCKET, src, "--name", key, "--no-progress")
            if r.returncode != 0:
                ld.record(t, "ctl-put", False, "%s: %s" % (key, last_error(r)))
                continue
            ld.record(t, "ctl-put", True)
            with ld.lock:
                ld.acked[key] = sha(body)
            t, r = self.ctl_op("ctl-get", "get", BUCKET, key, "-O", out, "-f", "--no-progress")
            if r.returncode != 0:
                ld.record(t, "ctl-get", False, "%s: %s" % (key, last_error(r)))
            else:
                with open(out, "rb") as f:
                    ok = f.read() == body
                ld.record(t, "ctl-get", ok, "" if ok else "%s: wrong content" % key)
            if n % 5 == 0:
                t, r = self.ctl_op("ctl-ls", "ls", BUCKET, "-n")
                if r.returncode == 0:
                    # The check against the stream leader added what the consumer left out,
                    # and the watch refused an initial list it could not trust (docs/cluster.md,
                    # "Listings checked against the leader").
                    err = r.stderr.decode(errors="replace").splitlines()
                    with ld.lock:
                        ld.ls_runs += 1
                        ld.ls_added += [ln for ln in err if "lacked" in ln]
                        ld.ls_refused += [ln for ln in err if "starting over" in ln]
                ok = r.returncode == 0 and key in r.stdout.decode().split()
                detail = ""
                if r.returncode != 0:
                    detail = "ls failed: exit %d %s" % (r.returncode, last_error(r))
                elif not ok:
                    detail = "ls misses %s, put and read back just before" % key
                ld.record(t, "ctl-ls", ok, detail)

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(120)


CLIENT_KINDS = (("S3 (boto3, 2 gateways)", ("put", "get")),
                ("FUSE (natss3fs)", ("fuse-write", "fuse-read")),
                ("natss3ctl (fresh processes)", ("ctl-put", "ctl-get", "ctl-ls")))


def per_kind(ops):
    """Logs ops, failures, p99 and max per client kind; returns the failed ops."""
    for label, kinds in CLIENT_KINDS:
        sel = [o for o in ops if o[2] in kinds]
        lat = [o[1] for o in sel]
        log("  %-28s %5d ops, %d failed, p99 %.3fs max %.3fs (%s)" % (
            label, len(sel), len([o for o in sel if not o[3]]), pct(lat, 99),
            max(lat) if lat else 0,
            ", ".join("%s %d" % (k, len([o for o in sel if o[2] == k])) for k in kinds)))
    return [o for o in ops if not o[3]]


def scenario_mixed(cluster, scale):
    """S3 through two gateways, a natss3fs mount and fresh natss3ctl processes on the same R3
    bucket while each node is killed and restarted in turn and one is paused; then every
    acknowledged object is read back through S3, the mount and natss3ctl with the leader down,
    and writes made through S3 after that failover must show in the mount's listing."""
    cluster.add_bucket(BUCKET)
    g1, g2 = Gateway(cluster, "gw1"), Gateway(cluster, "gw2")
    cluster.gateways += [g1, g2]
    clients = [g1.client(), g2.client()]
    mount = Mount(cluster, BUCKET)
    cluster.mounts.append(mount)
    # Each GET right after its PUT through the same gateway (read-your-writes holds per
    # process; across gateways a replica may answer the previous version for a moment, see
    # docs/cluster.md); the PUTs alternate between the gateways.
    load = Load(cluster, clients, workers=2, size=64 * 1024, cross_gateway=False)
    loops = ClientLoops(cluster, mount, load)
    events = []
    load.start()
    loops.start()
    time.sleep(3 * scale)
    run_faults(cluster, events, scale)
    load.finish()
    loops.join()
    log("during faults, per client kind:")
    per_kind(load.ops)
    failed = figures(load.ops, events, "during faults (all kinds)")
    if any(o[2].startswith("fuse") for o in failed):
        log_warnings(os.path.join(cluster.work, "natss3fs.log"))  # what the mount logged
    if any(o[2] in ("put", "get") for o in failed):
        log_gateway_warnings((g1, g2))
    acked = dict(load.acked)
    log("acknowledged objects: %d (%d through the mount, %d through natss3ctl)" % (
        len(acked), len([k for k in acked if k.startswith("fs-")]),
        len([k for k in acked if k.startswith("ctl-")])))
    for n in cluster.nodes:
        check(n.healthy(), "%s is not current before the read-back" % n.name)
    victim = next((n for n in cluster.nodes if n.name == cluster.leader(BUCKET)),
                  cluster.nodes[0])
    log("kill -9 %s (leader) for the read-back" % victim.name)
    victim.kill()
    problems = []
    # Through S3.
    t = time.time()
    rb_fail, lat = read_back(clients, acked)
    log("read-back through S3: %d GETs, %d failed, p99 %.3fs max %.3fs, took %.1fs" % (
        len(lat), len(rb_fail), pct(lat, 99), max(lat) if lat else 0, time.time() - t))
    problems += ["S3: " + f for f in rb_fail]
    # Through the mount.
    t = time.time()
    fs_fail, fs_lat = [], []
    for key, digest in sorted(acked.items()):
        t1 = time.time()
        try:
            with open(mount.path(*key.split("/")), "rb") as f:
                if sha(f.read()) != digest:
                    fs_fail.append("%s: content is not the acknowledged version" % key)
        except OSError as e:
            fs_fail.append("%s: %s" % (key, e))
        fs_lat.append(time.time() - t1)
    log("read-back through the mount: %d files, %d failed, p99 %.3fs max %.3fs, took %.1fs" % (
        len(fs_lat), len(fs_fail), pct(fs_lat, 99), max(fs_lat) if fs_lat else 0,
        time.time() - t))
    problems += ["mount: " + f for f in fs_fail]
    # With natss3ctl: one get -r of the whole bucket.
    t = time.time()
    tree = os.path.join(cluster.work, "ctl-tree")
    r = cluster.ctl("get", "-r", BUCKET, "-O", tree, "-f", "--no-progress", check_rc=False,
                    timeout=300)
    ctl_fail = [] if r.returncode == 0 else ["get -r: exit %d: %s" % (
        r.returncode, r.stderr.decode(errors="replace")[:300])]
    for key, digest in sorted(acked.items()):
        try:
            with open(os.path.join(tree, *key.split("/")), "rb") as f:
                if sha(f.read()) != digest:
                    ctl_fail.append("%s: content is not the acknowledged version" % key)
        except OSError as e:
            ctl_fail.append("%s: %s" % (key, e))
    log("read-back with natss3ctl get -r: %d objects, %d failed, took %.1fs" % (
        len(acked), len(ctl_fail), time.time() - t))
    problems += ["natss3ctl: " + f for f in ctl_fail]
    for f in problems[:20]:
        log("  FAILED read-back: %s" % f[:300])
    if problems:
        # What each server holds, and what the mount and the gateways logged about it (the
        # work directory, with the logs, is deleted after the run).
        log("each server's own view of the bucket's stream after the read-back:")
        log_stream_states(cluster, "OBJ_" + BUCKET)
        log_warnings(os.path.join(cluster.work, "natss3fs.log"))
        log_gateway_warnings((g1, g2))
    # The mount's listing catches up with writes made through S3 after the failover, without
    # a restart (the bound only catches a view that never does; the time is the figure).
    body = b"after the failover"
    for i in range(20):
        clients[i % 2].put_object(Bucket=BUCKET, Key="post/p%02d" % i, Body=body)
    want = {"p%02d" % i for i in range(20)}
    t = time.time()
    while True:
        try:
            seen = set(os.listdir(mount.path("post")))
        except OSError:
            seen = set()
        if want <= seen:
            break
        check(time.time() - t < 30, "the mount lists %d of 20 objects written through S3 after "
              "the failover 30s later" % len(want & seen))
        time.sleep(0.05)
    took = time.time() - t
    with open(mount.path("post", "p19"), "rb") as f:
        check(f.read() == body, "the mount reads post/p19 wrong after the failover")
    log("mount lists the 20 objects written through S3 after the failover %.2fs after the "
        "last PUT" % took)
    victim.start()
    for kind, took, rc, tail in load.slow_ctl:
        log("natss3ctl %s: exit %d after %.2fs; its last debug lines:" % (kind, rc, took))
        for line in tail:
            log("    %s" % line[:300])
    for line in load.ls_added:
        log("ls added a name its consumer left out: %s" % line.strip()[-200:])
    log("natss3ctl ls: %d runs, %d names added by the check against the stream leader" % (
        load.ls_runs, len(load.ls_added)))
    for line in load.ls_refused:
        log("ls watch refused: %s" % line.strip()[-200:])
    log("natss3ctl ls: %d watches refused (an \"empty\" answer a replica contradicts, or a "
        "list that starts after the leader's newest meta)" % len(load.ls_refused))
    # Names a listing index's rebuilt watch left out and the stream leader still had (kept).
    kept = []
    for path in [os.path.join(cluster.work, "natss3fs.log"), g1.log, g2.log]:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                kept += [ln.rstrip() for ln in f if "the rebuilt watch of bucket" in ln]
    for line in kept:
        log("listing rebuild: %s" % line[-200:])
    log("listing indexes (mount, gateways): %d names a rebuilt watch left out, checked with the "
        "stream leader" % len(kept))
    check(not failed, "%d client operations failed during the faults" % len(failed))
    check(not problems, "%d read-back reads failed" % len(problems))


def stream_last_seq(node):
    for acc in node.jsz().get("account_details", []):
        for st in acc.get("stream_detail", []):
            if st.get("name") == "OBJ_" + BUCKET:
                return st.get("state", {}).get("last_seq", 0)
    return 0


def scenario_lag(cluster, scale):
    """Fresh-process read-your-writes: a natss3ctl started right after another process's
    acknowledged PUT, connected to a follower that lags (it was paused while writes went on),
    reads the new version, never the previous one or NoSuchKey."""
    cluster.add_bucket(BUCKET)
    leader_name = cluster.leader(BUCKET)
    follower = next(n for n in cluster.nodes if n.name != leader_name)
    others = ",".join("nats://127.0.0.1:%d" % n.port for n in cluster.nodes if n is not follower)
    lag_url = "nats://127.0.0.1:%d" % follower.port
    gw = Gateway(cluster, "gw1", urls=others)
    # A second gateway connected only to the follower: its reads of what gw1 wrote must not
    # come from the follower's lagging copy (another gateway's write is not in its caches).
    gw_lag = Gateway(cluster, "gw2", urls=lag_url)
    cluster.gateways += [gw, gw_lag]
    c = gw.client()
    c_lag = gw_lag.client()
    keys = ["k%02d" % i for i in range(10)]
    for k in keys:
        c.put_object(Bucket=BUCKET, Key=k, Body=b"v0 " + k.encode())
    out = os.path.join(cluster.work, "lag.out")
    reads, gw_reads, stale, missing, failed = 0, 0, [], [], []
    lagging_reads = 0
    filler = os.urandom(1024 * 1024)
    for rnd in range(1, 4):
        log("round %d: SIGSTOP %s (follower), writes go on" % (rnd, follower.name))
        follower.proc.send_signal(signal.SIGSTOP)
        t = time.time()
        n = 0
        while time.time() - t < 4 * scale:
            c.put_object(Bucket=BUCKET, Key="fill%d" % (n % 8), Body=filler)
            n += 1
        target = stream_last_seq(next(x for x in cluster.nodes if x is not follower))
        follower.proc.send_signal(signal.SIGCONT)
        t_cont = time.time()
        caught = {}

        def watch_catch_up():
            # When the follower has the messages stored before the SIGCONT (polled).
            while time.time() - t_cont < 30:
                try:
                    if stream_last_seq(follower) >= target:
                        caught["at"] = time.time()
                        return
                except Exception:
                    pass
                time.sleep(0.05)

        watcher = threading.Thread(target=watch_catch_up)
        watcher.start()
        log("round %d: SIGCONT %s after %d MB written" % (rnd, follower.name, n))
        read_times = []
        i = 0
        while time.time() - t_cont < 3 * scale:
            i += 1
            key = keys[i % len(keys)] if i % 3 else "new%d-%d" % (rnd, i)
            body = ("v%d.%d %s" % (rnd, i, key)).encode()
            c.put_object(Bucket=BUCKET, Key=key, Body=body)
            t = time.time()
            read_times.append(t)
            when = "%.2fs after SIGCONT" % (t - t_cont)
            gw_reads += 1
            try:
                got = c_lag.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                if got != body:
                    stale.append("gw2 %s %s: read %r, acknowledged %r" %
                                 (key, when, got[:20], body[:20]))
            except Exception as e:  # NoSuchKey or a failure
                (missing if "NoSuchKey" in str(e) else failed).append(
                    "gw2 %s %s: %s" % (key, when, str(e)[:200]))
            r = cluster.ctl("get", BUCKET, key, "-O", out, "-f", "--no-progress", check_rc=False,
                            urls=lag_url)
            reads += 1
            if r.returncode != 0:
                err = r.stderr.decode(errors="replace").strip()
                (missing if "not found" in err.lower() else failed).append(
                    "%s %s: %s" % (key, when, err[:200]))
                continue
            with open(out, "rb") as f:
                got = f.read()
            if got != body:
                stale.append("%s %s: read %r, acknowledged %r" % (key, when, got[:20], body[:20]))
        watcher.join()
        behind = len([x for x in read_times if x < caught.get("at", float("inf"))])
        lagging_reads += behind
        log("round %d: %s caught up %.2fs after SIGCONT; %d of %d reads started before" % (
            rnd, follower.name, caught.get("at", float("inf")) - t_cont, behind, len(read_times)))
    log("reads from the lagging follower: %d by fresh natss3ctl processes, %d through a gateway "
        "connected to it; stale %d, not found %d, failed %d" %
        (reads, gw_reads, len(stale), len(missing), len(failed)))
    for f in (stale + missing + failed)[:20]:
        log("  " + f)
    check(lagging_reads > 0, "the follower never lagged during the reads: nothing was tested")
    check(not (stale or missing or failed), "natss3ctl processes or a second gateway did not "
          "read another process's acknowledged writes from a lagging follower")


SCENARIOS = {"failover": scenario_failover, "gateways": scenario_gateways, "lag": scenario_lag,
             "mixed": scenario_mixed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--duration-scale", type=float, default=1.0)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="natss3-cluster-")
    cluster = Cluster(os.path.abspath(a.bin_dir), work)
    try:
        SCENARIOS[a.scenario](cluster, a.duration_scale)
        log("PASS %s" % a.scenario)
        return 0
    except Failure as e:
        log("FAIL %s: %s" % (a.scenario, e))
        return 1
    finally:
        cluster.close()
        if a.keep:
            log("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""natss3d S3 benchmark: one run, baselines interleaved with natss3d, ratios of medians.

Measures (targets: docs/performance.md):
  * S3 PUT / GET of a large object (default 1 GiB) vs the natss3 core directly (same data path
    without HTTP) and vs the raw JetStream ceiling (natss3_bench_core's cnats pipelined publish
    and ordered replay, one round per S3 round), time to first byte of the GET, daemon RSS above
    idle during the transfers;
  * 4 KiB PUT and GET at 1 and 16 concurrent clients: natss3_s3bench_small (C++, one keep-alive
    SigV4 connection per client thread) against natss3d, interleaved with the same operations
    through the core directly, with natss3d / nats-server CPU per operation;
  * ListObjectsV2 page (1000 keys) latency p50 at 1k, 10k and 100k keys.
Starts its own nats-server and natss3d on loopback. Not part of ctest.

Usage: bench/s3/bench.py [--build DIR] [--size-mib 1024] [--rounds 2] [--max-keys 100000]
                        [--only big,small,list] [--small-ops 3000] [--small-rounds 3]
                        [--daemon PATH] [--before PATH]
--daemon measures another natss3d binary with this build's tools and baselines. --before runs
a second natss3d (e.g. built from an older commit) on the same nats-server and interleaves its
large PUTs and GETs with the measured one's in every round: before/after figures of one run.
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# Loopback ports shared with the test harnesses (run from the source tree).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from harness_common import free_port, wait_port  # noqa: E402

ACCESS, SECRET, REGION = "AKBENCHKEY", "bench-secret", "us-east-1"


def sign(method, path, query, host, payload_hash="UNSIGNED-PAYLOAD"):
    """SigV4 headers for a request (path and query already URI-encoded, query sorted)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, query,
                           "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload_hash])
    scope = f"{day}/{REGION}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers


class Client:
    def __init__(self, port):
        self.port, self.host = port, f"127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method, path, query="", body=None, length=None, payload_hash="UNSIGNED-PAYLOAD"):
        headers = sign(method, path, query, self.host, payload_hash)
        if length is not None:
            headers["content-length"] = str(length)
        self.conn.request(method, path + ("?" + query if query else ""), body=body, headers=headers)
        return self.conn.getresponse()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)


BIG_CHUNK = bytes(i * 7919 % 251 for i in range(1 << 20))


def big_body_sha256(size):
    h = hashlib.sha256()
    for _ in range(size // len(BIG_CHUNK)):
        h.update(BIG_CHUNK)
    return h.hexdigest()


def cpu_split(pid):
    """(utime, stime) of `pid` in seconds from /proc (fields 14 and 15 after the command name)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def s3_put_big(port, bucket, key, size, payload_hash="UNSIGNED-PAYLOAD"):
    def body():
        sent = 0
        while sent < size:
            yield BIG_CHUNK
            sent += len(BIG_CHUNK)
    c = Client(port)
    start = time.perf_counter()
    r = c.request("PUT", f"/{bucket}/{key}", body=body(), length=size, payload_hash=payload_hash)
    r.read()
    assert r.status == 200, r.status
    return time.perf_counter() - start, 0.0


def s3_get_big(port, bucket, key):
    c = Client(port)
    start = time.perf_counter()
    r = c.request("GET", f"/{bucket}/{key}")
    first = r.read(1)
    ttfb = (time.perf_counter() - start) * 1000
    total = len(first)
    while True:
        block = r.read(1 << 20)
        if not block:
            break
        total += len(block)
    assert r.status == 200
    return time.perf_counter() - start, ttfb


def raw_ceiling(bench_core, mib):
    """Raw cnats pipelined publish and ordered-consumer replay of one `mib` MiB object: the
    ceiling of bench/core (natss3_bench_core, one round on its own nats-server). MiB/s."""
    out = subprocess.run([bench_core, "--no-js", "--no-rss", "--large", str(mib), "--rounds", "1",
                          "--small-count", "0"], capture_output=True, text=True, check=True)
    m = re.search(r"round \d+ raw .*?: put ([\d.]+) MiB/s, get ([\d.]+) MiB/s", out.stderr + out.stdout)
    if not m:
        raise RuntimeError("natss3_bench_core printed no raw figures:\n" + out.stderr + out.stdout)
    return float(m.group(1)), float(m.group(2))


def hashing_floor(tool):
    """CPU-s per GiB of each digest alone (natss3_s3bench_checksums, 256 MiB): the floor a put
    (SHA-256 + MD5) or a verified get (SHA-256) cannot go under. None without the tool."""
    if not os.access(tool, os.X_OK):
        print(f"note: {tool} missing: no hashing floor (build natss3_s3bench_checksums)")
        return None
    out = subprocess.run([tool, "256"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"(?:baseline )?(\S+) \(([^)]+)\)\s+[\d.]+ GB/s\s+([\d.]+) CPU-s/GiB", line.strip())
        if m and not line.startswith("baseline"):
            found[m.group(1)] = float(m.group(3))
    if "sha256" not in found or "md5" not in found:
        raise RuntimeError("natss3_s3bench_checksums printed no SHA-256/MD5 figures:\n" + out)
    return found


def relay_floor(tool, mib=256):
    """CPU-s per GiB of passing bytes from one loopback socket to another (recv, send) and
    nothing else (natss3_s3bench_relay): the socket work natss3d cannot avoid on a PUT (client
    in, nats-server out) or a GET (the reverse). (total, kernel), or None without the tool."""
    if not os.access(tool, os.X_OK):
        print(f"note: {tool} missing: no relay floor (build natss3_s3bench_relay)")
        return None
    out = subprocess.run([tool, str(mib), "3"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"relay \d+ MiB: ([\d.]+) CPU-s/GiB \(user [\d.]+, kernel ([\d.]+)\)", out)
    if not m:
        raise RuntimeError("natss3_s3bench_relay printed no figure:\n" + out)
    return float(m.group(1)), float(m.group(2))


def core_op(tool, nats_url, bucket, key, mode, mib):
    out = subprocess.run([tool, nats_url, bucket, key, mode, str(mib)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def small_objects(tool, sport, nats_url, daemon_pid, nats_pid, ops, rounds):
    """Runs the C++ small-object load generator; returns its summary table."""
    out = subprocess.run([tool, "--endpoint", f"127.0.0.1:{sport}", "--nats", nats_url,
                          "--access", ACCESS, "--secret", SECRET, "--bucket", "small",
                          "--clients", "1,16", "--ops", str(ops), "--rounds", str(rounds),
                          "--daemon-pid", str(daemon_pid), "--nats-pid", str(nats_pid)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("natss3_s3bench_small failed: " + out.stderr + out.stdout)
    return out.stdout.strip()


def fill_keys(port, bucket, start, end, clients=16):
    def work(lo, hi):
        c = Client(port)
        for i in range(lo, hi):
            r = c.request("PUT", f"/{bucket}/k/{i:07d}", body=b"x", length=1)
            r.read()
    step = (end - start + clients - 1) // clients
    threads = [threading.Thread(target=work, args=(start + i * step, min(end, start + (i + 1) * step)))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def list_page_p50(port, bucket, keys, samples=20):
    c = Client(port)
    times = []
    for _ in range(samples):
        after = f"k/{random.randrange(max(1, keys - 1000)):07d}"
        query = "list-type=2&max-keys=1000&start-after=" + after.replace("/", "%2F")
        start = time.perf_counter()
        r = c.request("GET", f"/{bucket}", query)
        r.read()
        times.append((time.perf_counter() - start) * 1000)
        assert r.status == 200
    return statistics.median(times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(here, "..", "..", "build"))
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-keys", type=int, default=100000)
    ap.add_argument("--only", default="big,small,list", help="comma-separated subset of big,small,list")
    ap.add_argument("--small-ops", type=int, default=3000)
    ap.add_argument("--small-rounds", type=int, default=3)
    ap.add_argument("--daemon", help="natss3d binary to measure (default: the build's)")
    ap.add_argument("--before", help="natss3d binary to compare with, in the same rounds")
    a = ap.parse_args()
    only = set(a.only.split(","))
    natss3d = a.daemon or os.path.join(a.build, "s3d", "natss3d")
    tool = os.path.join(a.build, "bench", "s3", "natss3_s3bench_core")
    small_tool = os.path.join(a.build, "bench", "s3", "natss3_s3bench_small")
    for binary in (natss3d, tool, small_tool):
        if not os.access(binary, os.X_OK):
            sys.exit(f"missing {binary}: build targets natss3d, natss3_s3bench_core and "
                     "natss3_s3bench_small first")
    nats_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
    work = tempfile.mkdtemp(prefix="natss3-s3bench-")
    procs = []
    try:
        nport, sport = free_port(), free_port()
        procs.append(subprocess.Popen([nats_bin, "-js", "-a", "127.0.0.1", "-p", str(nport), "-sd", work + "/js"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_port(nport):
            raise RuntimeError(f"nats-server port {nport} did not open")
        with open(work + "/creds.json", "w") as f:
            json.dump({"credentials": [{"access_key": ACCESS, "secret_key": SECRET, "read": ["*"], "write": ["*"]}]}, f)
        daemon = subprocess.Popen([natss3d, "--listen", f"127.0.0.1:{sport}", "--nats-servers", f"nats://127.0.0.1:{nport}",
                                   "--credentials", work + "/creds.json", "--data-dir", work + "/data",
                                   "--access-log", "false"], stdout=subprocess.DEVNULL, stderr=open(work + "/natss3d.log", "w"))
        procs.append(daemon)
        if not wait_port(sport):
            raise RuntimeError(f"natss3d port {sport} did not open")
        before = None
        if a.before:
            bport = free_port()
            before = subprocess.Popen([a.before, "--listen", f"127.0.0.1:{bport}", "--nats-servers", f"nats://127.0.0.1:{nport}",
                                       "--credentials", work + "/creds.json", "--data-dir", work + "/data-before",
                                       "--access-log", "false"], stdout=subprocess.DEVNULL, stderr=open(work + "/before.log", "w"))
            procs.append(before)
            if not wait_port(bport):
                raise RuntimeError(f"natss3d (before) port {bport} did not open")
        nats_url = f"nats://127.0.0.1:{nport}"
        c = Client(sport)
        for b in ("bench", "small", "list"):
            c.request("PUT", f"/{b}").read()
        idle = rss_kib(daemon.pid)
        size = a.size_mib << 20
        s3_put, s3_put_signed, s3_get, core_put, core_get, ttfb, core_ttfb = [], [], [], [], [], [], []
        cpu = {"PUT unsigned": [], "PUT signed": [], "GET": []}  # natss3d CPU-s per GiB
        # The kernel's part of it (stime): socket copies and loopback TCP, which no change
        # inside natss3d removes, and which moves with the VM's state from day to day.
        kernel = {"PUT unsigned": [], "PUT signed": [], "GET": []}
        signed_hash = big_body_sha256(size) if "big" in only else ""
        gib = size / (1 << 30)

        def daemon_cpu(kind, fn, proc=daemon, into=cpu, into_kernel=kernel):
            user0, sys0 = cpu_split(proc.pid)
            result = fn()
            user1, sys1 = cpu_split(proc.pid)
            into[kind].append((user1 - user0 + sys1 - sys0) / gib)
            into_kernel[kind].append((sys1 - sys0) / gib)
            return result
        cpu_before = {"PUT unsigned": [], "PUT signed": [], "GET": []}
        kernel_before = {"PUT unsigned": [], "PUT signed": [], "GET": []}
        mibs_before = {"PUT unsigned": [], "PUT signed": [], "GET": []}  # seconds

        def before_round(op):
            if not before:
                return
            if op == "put":
                mibs_before["PUT unsigned"].append(daemon_cpu(
                    "PUT unsigned", lambda: s3_put_big(bport, "bench", "s3b", size), before, cpu_before,
                    kernel_before)[0])
                mibs_before["PUT signed"].append(daemon_cpu(
                    "PUT signed", lambda: s3_put_big(bport, "bench", "s3b", size, signed_hash), before,
                    cpu_before, kernel_before)[0])
            else:
                mibs_before["GET"].append(daemon_cpu(
                    "GET", lambda: s3_get_big(bport, "bench", "s3b"), before, cpu_before,
                    kernel_before)[0])
        raw_put, raw_get = [], []  # MiB/s
        bench_core = os.path.join(a.build, "bench", "core", "natss3_bench_core")
        if not os.access(bench_core, os.X_OK):
            print(f"note: {bench_core} missing: no raw JetStream ceiling (build natss3_bench_core)")
            bench_core = None
        sampler = RssSampler(daemon.pid)
        sampler.start()
        for _ in range(a.rounds if "big" in only else 0):  # interleaved: raw, core, S3, ...
            if bench_core:
                rp, rg = raw_ceiling(bench_core, a.size_mib)
                raw_put.append(rp); raw_get.append(rg)
            core_put.append(core_op(tool, nats_url, "bench", "core", "put", a.size_mib)[0])
            s3_put.append(daemon_cpu("PUT unsigned", lambda: s3_put_big(sport, "bench", "s3", size))[0])
            # aws-cli/boto3 over HTTP: x-amz-content-sha256 is the body's SHA-256.
            s3_put_signed.append(daemon_cpu(
                "PUT signed", lambda: s3_put_big(sport, "bench", "s3", size, signed_hash))[0])
            before_round("put")
            t, f = core_op(tool, nats_url, "bench", "core", "get", a.size_mib)
            core_get.append(t); core_ttfb.append(f)
            t, f = daemon_cpu("GET", lambda: s3_get_big(sport, "bench", "s3"))
            s3_get.append(t); ttfb.append(f)
            before_round("get")
        sampler.stop.set()
        sampler.join()
        mib = a.size_mib
        rows = []
        if "big" in only:
            rows = [("S3 PUT %d MiB unsigned" % mib, mib / statistics.median(s3_put), mib / statistics.median(core_put), "MiB/s"),
                    ("S3 PUT %d MiB signed" % mib, mib / statistics.median(s3_put_signed), mib / statistics.median(core_put), "MiB/s"),
                    ("S3 GET %d MiB" % mib, mib / statistics.median(s3_get), mib / statistics.median(core_get), "MiB/s")]
        small = ""
        if "small" in only:
            small = small_objects(small_tool, sport, nats_url, daemon.pid, procs[0].pid, a.small_ops, a.small_rounds)
        listing = {}
        filled = 0
        for keys in (1000, 10000, 100000):
            if keys > a.max_keys or "list" not in only:
                break
            fill_keys(sport, "list", filled, keys)
            filled = keys
            listing[keys] = list_page_p50(sport, "list", keys)
        floor = hashing_floor(os.path.join(a.build, "bench", "s3", "natss3_s3bench_checksums")) \
            if "big" in only else None
        relay = relay_floor(os.path.join(a.build, "bench", "s3", "natss3_s3bench_relay")) \
            if "big" in only else None
        print("\n== natss3d S3 benchmark (medians of %d interleaved rounds) ==" % a.rounds)
        print("natss3d: %s" % natss3d)
        print("%-28s %12s %12s %8s" % ("metric", "natss3d", "core", "ratio"))
        for name, s3v, corev, unit in rows:
            print("%-28s %9.1f %s %9.1f %s %7.0f%%" % (name, s3v, unit[:3], corev, unit[:3], 100 * s3v / corev))
        if raw_put:
            for name, s3v, rawv in (("S3 PUT vs raw publish", mib / statistics.median(s3_put), statistics.median(raw_put)),
                                    ("S3 GET vs raw replay", mib / statistics.median(s3_get), statistics.median(raw_get))):
                print("%-28s %9.1f MiB %9.1f MiB %7.0f%%  (raw: cnats, bench/core)" % (name, s3v, rawv, 100 * s3v / rawv))
            if floor:
                # Hashing-aware raw baseline: the raw transfer plus the digests the operation
                # must compute, done one after the other on one core (SHA-256 + MD5 for a put,
                # the SHA-256 check of a whole read for a get).
                put_floor, get_floor = floor["sha256"] + floor["md5"], floor["sha256"]
                gib_ = mib / 1024
                for name, s3v, rawv, fl in (
                        ("S3 PUT vs raw+digests", mib / statistics.median(s3_put), statistics.median(raw_put), put_floor),
                        ("S3 PUT signed vs raw+dig.", mib / statistics.median(s3_put_signed), statistics.median(raw_put), put_floor),
                        ("S3 GET vs raw+SHA-256", mib / statistics.median(s3_get), statistics.median(raw_get), get_floor)):
                    base = mib / (mib / rawv + fl * gib_)
                    print("%-28s %9.1f MiB %9.1f MiB %7.0f%%" % (name, s3v, base, 100 * s3v / base))
        if "big" in only:
            # The core tool's own GET starts a process and connection; its warm figure (Open +
            # first Read on an established connection) is what natss3d pays per request.
            warm = subprocess.run([tool, nats_url, "bench", "core", "ttfb", "5"], check=True,
                                  capture_output=True, text=True).stdout.split()
            print("%-28s %9.1f ms %9.1f ms (core warm: open %s ms + first read %s ms)" % (
                "TTFB of GET %d MiB" % mib, statistics.median(ttfb), statistics.median(core_ttfb),
                warm[0], warm[1]))
            print("%-28s %9.1f MiB (idle %.1f MiB)" % ("daemon RSS peak above idle", (sampler.peak - idle) / 1024, idle / 1024))
            # Hashing floor: what the bytes' digests cost in any implementation (SHA-256 and MD5
            # for a PUT, the SHA-256 check of a whole read); see natss3_s3bench_checksums.
            # The floor is user CPU (hashing in memory); "user above it" is what natss3d's own
            # code spends besides the digests, the kernel's part shown on its own.
            for kind, values in cpu.items():
                total, kern = statistics.median(values), statistics.median(kernel[kind])
                line = "%-28s %9.2f CPU-s/GiB" % ("natss3d " + kind, total)
                line += "  (kernel %.2f" % kern
                if floor:
                    fl = floor["sha256"] + (floor["md5"] if kind.startswith("PUT") else 0)
                    line += "; hashing floor %.2f, above it %+.2f, user above it %+.2f" % (
                        fl, total - fl, total - kern - fl)
                    if relay:
                        # The digests plus the socket relay: what any gateway that hashes the
                        # bytes and passes them between two sockets spends at least.
                        line += "; hashing+relay floor %.2f, above it %+.2f" % (
                            fl + relay[0], total - fl - relay[0])
                print(line + ")")
            if relay:
                print("%-28s %9.2f CPU-s/GiB  (kernel %.2f; recv + send of loopback TCP, "
                      "natss3_s3bench_relay)" % ("socket relay floor", relay[0], relay[1]))
            if floor:
                print("%-28s %s" % ("checksum speeds (CPU-s/GiB)", ", ".join(
                    "%s %.3f" % (k, v) for k, v in sorted(floor.items()))))
        if before and "big" in only:
            print("\n== before/after, same rounds (MiB/s, natss3d CPU-s/GiB) ==")
            print("before: %s\nafter:  %s" % (a.before, natss3d))
            print("%-16s %10s %8s %8s %10s %8s %8s" % ("", "before", "CPU", "kernel", "after", "CPU",
                                                       "kernel"))
            after_times = {"PUT unsigned": s3_put, "PUT signed": s3_put_signed, "GET": s3_get}
            for kind in ("PUT unsigned", "PUT signed", "GET"):
                print("%-16s %10.1f %8.2f %8.2f %10.1f %8.2f %8.2f" % (
                    "S3 " + kind, mib / statistics.median(mibs_before[kind]),
                    statistics.median(cpu_before[kind]), statistics.median(kernel_before[kind]),
                    mib / statistics.median(after_times[kind]), statistics.median(cpu[kind]),
                    statistics.median(kernel[kind])))
        for keys, ms in listing.items():
            print("%-28s %9.1f ms" % (f"ListObjectsV2 page @{keys}", ms))
        print("%-28s %9.1f MiB" % ("daemon RSS at end", rss_kib(daemon.pid) / 1024))
        if small:
            print(small)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Crash harness: kill -9 natss3d, natss3ctl and natss3fs at random moments and at injected
crash points (NATSS3_CRASH_AT, see core/include/natss3/crash_point.h) of each write path.

After every crash: each object is exactly its old or its new version (SHA-256 checked), and
the bucket returns to holding nothing but referenced data (no orphan chunks, stale pins, part
records of vanished uploads or half-done renames) on its own, within a bounded time, through
the periodic garbage collection of a natss3 process running again.

Usage: crash_harness.py --bin-dir BUILD SCENARIO   (scenarios: see SCENARIOS at the bottom)
Exit status 0 on success; every failure prints what was expected and what was found.
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import s3_clients  # noqa: E402
from harness_common import (Failure, abort_fuse_connection, check, die_with_parent,  # noqa: E402
                            free_port, log,
                            random_file, run_ctl, sha, start_nats_server, start_natss3d,
                            stop_process)

FAST_GC = ["--gc-interval", "1s", "--gc-grace", "3s"]
CLEAN_DEADLINE = 60  # seconds to return to a clean bucket with FAST_GC


class Env:
    """One nats-server plus helpers to run the natss3 binaries against it."""

    def __init__(self, bin_dir, work):
        self.bin_dir = bin_dir
        self.work = work
        self.port = free_port()
        self.url = "nats://127.0.0.1:%d" % self.port
        self.nats = start_nats_server(self.port, os.path.join(work, "nats"))
        self.daemon = None
        self.daemon_log = os.path.join(work, "natss3d.log")

    def close(self):
        self.stop_daemon()
        self.nats.terminate()
        self.nats.wait(10)

    def ctl(self, *args, env=None, check_rc=True, timeout=120):
        return run_ctl(self.bin_dir, self.url, self.work, args, env=env, check_rc=check_rc,
                       timeout=timeout)

    def start_daemon(self, extra=(), crash_at=None):
        env = dict(os.environ)
        env.pop("NATSS3_CRASH_AT", None)
        if crash_at:
            env["NATSS3_CRASH_AT"] = crash_at
        self.daemon, self.s3_port = start_natss3d(self.bin_dir, self.url,
                                                  os.path.join(self.work, "s3d"),
                                                  self.daemon_log, extra, env)
        self.s3 = s3_clients.client("http://127.0.0.1:%d" % self.s3_port, anonymous=True,
                                    retries={"max_attempts": 1}, read_timeout=60,
                                    connect_timeout=5)

    def kill_daemon(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGKILL)
        if self.daemon:
            self.daemon.wait(10)
        self.daemon = None

    def stop_daemon(self):
        stop_process(self.daemon)
        self.daemon = None

    def garbage(self, bucket):
        """What a dry-run collection finds (with no grace: everything unreferenced)."""
        r = self.ctl("gc", bucket, "--json", "--grace", "0s")
        report = json.loads(r.stdout)
        return {k: report[k] for k in ("orphans", "stale_pins", "orphan_part_records",
                                       "interrupted_renames")}, report

    def wait_clean(self, bucket, deadline_s=CLEAN_DEADLINE):
        """Waits until the periodic collection of a running natss3 process left nothing behind.
        Returns the seconds it took."""
        t0 = time.time()
        while True:
            found, report = self.garbage(bucket)
            if not found["orphans"] and not found["stale_pins"] and \
                    not found["orphan_part_records"] and not found["interrupted_renames"]:
                return time.time() - t0, report
            if time.time() - t0 > deadline_s:
                raise Failure("bucket %s still holds garbage after %ds: %s" %
                              (bucket, deadline_s, json.dumps(found)))
            time.sleep(0.5)

    def object_sha(self, bucket, key):
        out = os.path.join(self.work, "get.tmp")
        r = self.ctl("get", bucket, key, "-O", out, "-f", "--no-progress", check_rc=False)
        if r.returncode != 0:
            err = r.stderr.decode(errors="replace")
            check("not found" in err, "get %s > %s failed: %s" % (bucket, key, err))
            return None
        with open(out, "rb") as f:
            digest = sha(f.read())
        os.unlink(out)
        return digest


def expect_old_or_new(env, bucket, key, allowed):
    got = env.object_sha(bucket, key)
    check(got in allowed, "%s > %s is %s, expected one of %s" % (bucket, key, got, allowed))
    return got


# ------------------------------------------------------------------ scenarios


def make_files(work, keys, size):
    files = {}
    for i, key in enumerate(keys):
        path = os.path.join(work, "src%d" % i)
        files[key] = (path, random_file(path, size + i * 4099, 1000 + i))
    return files


def s3_load(env, bucket, files):
    """Concurrent S3 writes of every kind: big PUTs (overwrites) followed by tagging, and a
    multipart upload. Returns the threads and {key: set of acceptable SHA-256}."""
    allowed = {}
    for key, (_, digest) in files.items():
        allowed.setdefault(key, {env.object_sha(bucket, key)}).add(digest)
    errors = []

    def put(key):
        try:
            with open(files[key][0], "rb") as f:
                env.s3.put_object(Bucket=bucket, Key=key, Body=f)
            env.s3.put_object_tagging(Bucket=bucket, Key=key,
                                      Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        except Exception as e:  # the daemon is killed under us: expected
            errors.append(e)

    def multipart():
        key = "multi"
        try:
            up = env.s3.create_multipart_upload(Bucket=bucket, Key=key)
            parts = []
            for n in range(1, 4):
                body = random.Random(n).randbytes(5 * 1024 * 1024 + n)
                r = env.s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                       PartNumber=n, Body=body)
                parts.append({"PartNumber": n, "ETag": r["ETag"]})
            env.s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                             MultipartUpload={"Parts": parts})
        except Exception as e:
            errors.append(e)

    whole = b"".join(random.Random(n).randbytes(5 * 1024 * 1024 + n) for n in range(1, 4))
    allowed.setdefault("multi", {env.object_sha(bucket, "multi")}).add(sha(whole))
    threads = [threading.Thread(target=put, args=(k,)) for k in files]
    threads.append(threading.Thread(target=multipart))
    for t in threads:
        t.start()
    return threads, allowed


def scenario_s3d_random_kill(env, rounds=3):
    bucket = "crashs3"
    env.ctl("add", bucket)
    env.start_daemon(FAST_GC)
    work = os.path.join(env.work, "files")
    os.makedirs(work, exist_ok=True)
    files = make_files(work, ["big%d" % i for i in range(4)], 160 * 1024 * 1024)
    left_garbage = 0
    for r in range(rounds):
        threads, allowed = s3_load(env, bucket, files)
        time.sleep(random.uniform(0.3, 2.0))
        env.kill_daemon()
        for t in threads:
            t.join(60)
        found, _ = env.garbage(bucket)
        left_garbage += len(found["orphans"])
        log("round %d: kill -9 natss3d left %d orphan chunk subjects" % (r, len(found["orphans"])))
        for key, ok in allowed.items():
            expect_old_or_new(env, bucket, key, ok)
        env.start_daemon(FAST_GC)
        took, report = env.wait_clean(bucket)
        log("round %d: clean %.1fs after restart (stream %d bytes)" %
            (r, took, report["stream_bytes_after"]))
    check(left_garbage > 0, "no kill hit an upload in progress: the rounds proved nothing")


def scenario_s3d_injected(env):
    bucket = "inj"
    env.ctl("add", bucket)
    work = os.path.join(env.work, "files")
    os.makedirs(work, exist_ok=True)
    old_sha = random_file(os.path.join(work, "old"), 3 * 1024 * 1024, 1)
    new_sha = random_file(os.path.join(work, "new"), 5 * 1024 * 1024 + 7, 2)
    for point in ["put.before_meta", "put.after_meta", "delete.after_marker",
                  "complete.after_commit"]:
        key = point.replace(".", "_")
        env.ctl("put", bucket, os.path.join(work, "old"), "--name", key, "-f", "--no-progress")
        env.start_daemon(FAST_GC, crash_at=point)
        try:
            if point.startswith("put"):
                with open(os.path.join(work, "new"), "rb") as f:
                    env.s3.put_object(Bucket=bucket, Key=key, Body=f)
            elif point.startswith("delete"):
                env.s3.delete_object(Bucket=bucket, Key=key)
            else:
                up = env.s3.create_multipart_upload(Bucket=bucket, Key=key)
                with open(os.path.join(work, "new"), "rb") as f:
                    body = f.read()
                parts = []
                for n, piece in enumerate([body[:5 * 1024 * 1024], body[5 * 1024 * 1024:]], 1):
                    r = env.s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                           PartNumber=n, Body=piece)
                    parts.append({"PartNumber": n, "ETag": r["ETag"]})
                completion = dict(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                  MultipartUpload={"Parts": parts})
                env.s3.complete_multipart_upload(**completion)
            raise Failure("natss3d did not crash at %s" % point)
        except Failure:
            raise
        except Exception:
            pass
        check(env.daemon.wait(10) == -signal.SIGKILL, "natss3d was not killed at " + point)
        env.daemon = None
        allowed = {old_sha, new_sha} if point != "delete.after_marker" else {None}
        got = expect_old_or_new(env, bucket, key, allowed)
        if point == "put.after_meta":
            check(got == new_sha, "the put committed before the crash but is not visible")
        env.start_daemon(FAST_GC)
        if point == "complete.after_commit":
            # The client retries the Complete it lost the answer of: it succeeds at once.
            r = env.s3.complete_multipart_upload(**completion)
            check(r["ETag"].endswith('-2"'), "retried Complete answered %s" % r)
            check(env.object_sha(bucket, key) == new_sha, "multipart object wrong after retry")
            uploads = env.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
            check(not uploads, "upload still listed after the retried Complete: %s" % uploads)
        took, _ = env.wait_clean(bucket)
        log("%s: old-or-new holds, clean %.1fs after restart" % (point, took))
        env.stop_daemon()


def wait_growth(env, bucket, base, proc, grow=4 * 1024 * 1024, deadline_s=60):
    """Waits until the stream of bucket holds grow bytes more than base while proc runs."""
    t0 = time.time()
    while True:
        _, report = env.garbage(bucket)
        if report["stream_bytes_before"] >= base + grow:
            return
        check(proc.poll() is None, "the writer exited (%s) before it wrote %d bytes" %
              (proc.returncode, grow))
        check(time.time() - t0 < deadline_s, "the writer wrote nothing in %ds" % deadline_s)
        time.sleep(0.1)


def scenario_ctl_kill(env):
    bucket = "crashctl"
    env.ctl("add", bucket)
    work = os.path.join(env.work, "files")
    os.makedirs(work, exist_ok=True)
    old_sha = random_file(os.path.join(work, "old"), 2 * 1024 * 1024, 3)
    new_sha = random_file(os.path.join(work, "new"), 512 * 1024 * 1024, 4)
    env.ctl("put", bucket, os.path.join(work, "old"), "--name", "f", "--no-progress")
    env.start_daemon(FAST_GC)  # the process whose collection must clean up after natss3ctl
    ctl = os.path.join(env.bin_dir, "cli", "natss3ctl")
    for r in range(3):
        _, report = env.garbage(bucket)
        base = report["stream_bytes_before"]
        # The put reads stdin, fed by the harness: the kill lands after a random amount of
        # the upload, however fast or loaded the machine, and never after the put finished.
        p = subprocess.Popen([ctl, "put", bucket, "--name", "f", "-f", "--no-progress"],
                             env=dict(os.environ, NATS_URL=env.url, HOME=env.work),
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        target = random.randint(4, 384) * 1024 * 1024
        with open(os.path.join(work, "new"), "rb") as f:
            fed = 0
            while fed < target:
                piece = f.read(1024 * 1024)
                p.stdin.write(piece)
                fed += len(piece)
            p.stdin.flush()
        wait_growth(env, bucket, base, p, grow=target // 2)
        p.send_signal(signal.SIGKILL)
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        p.wait()
        found, _ = env.garbage(bucket)
        check(found["orphans"], "natss3ctl was killed before it uploaded anything")
        expect_old_or_new(env, bucket, "f", {old_sha, new_sha})
        took, _ = env.wait_clean(bucket)
        log("natss3ctl put killed %d MiB in (round %d): %d orphans, clean %.1fs later" %
            (target >> 20, r, len(found["orphans"]), took))
    for point in ["put.before_meta", "put.after_meta"]:
        env.ctl("put", bucket, os.path.join(work, "old"), "--name", "g", "-f", "--no-progress")
        r = env.ctl("put", bucket, os.path.join(work, "new"), "--name", "g", "-f", "--no-progress",
                    env={"NATSS3_CRASH_AT": point}, check_rc=False)
        check(r.returncode == -signal.SIGKILL, "natss3ctl did not crash at %s" % point)
        got = expect_old_or_new(env, bucket, "g", {old_sha, new_sha})
        check((got == new_sha) == (point == "put.after_meta"), "wrong version after " + point)
        took, _ = env.wait_clean(bucket)
        log("natss3ctl %s: clean %.1fs later" % (point, took))


class Mount:
    def __init__(self, env, crash_at=None):
        self.env = env
        self.dir = tempfile.mkdtemp(prefix="crashmnt", dir=env.work)
        menv = dict(os.environ)
        menv.pop("NATSS3_CRASH_AT", None)
        if crash_at:
            menv["NATSS3_CRASH_AT"] = crash_at
        self.proc = subprocess.Popen(
            [os.path.join(env.bin_dir, "fuse", "natss3fs"), "-f", "-s", env.url, "--cache-dir",
             os.path.join(env.work, "cache"), self.dir], env=menv, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(env.work, "natss3fs.log"), "ab"), preexec_fn=die_with_parent)
        deadline = time.time() + 20
        while not os.path.ismount(self.dir):
            check(time.time() < deadline and self.proc.poll() is None, "natss3fs did not mount")
            time.sleep(0.05)
        self.minor = os.minor(os.stat(self.dir).st_dev)  # names its fusectl connection

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def gone(self):
        """After natss3fs was killed: abort its FUSE connection and detach the dead mount.
        A killed daemon whose kernel-notification thread waits on a directory lock held by a
        request it will never answer (a rename in progress) cannot exit until the connection
        is aborted, as an administrator would do through fusectl."""
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            abort_fuse_connection(self.minor)
            self.proc.wait(20)
        subprocess.run(["fusermount3", "-uz", self.dir], capture_output=True, timeout=30)

    def close(self):
        if self.proc.poll() is None:
            subprocess.run(["fusermount3", "-u", self.dir], capture_output=True)
            self.proc.wait(30)


def scenario_fuse_kill(env):
    bucket = "crashfs"
    env.ctl("add", bucket)
    work = os.path.join(env.work, "files")
    os.makedirs(work, exist_ok=True)
    old_sha = random_file(os.path.join(work, "old"), 1024 * 1024, 5)
    new_sha = random_file(os.path.join(work, "new"), 96 * 1024 * 1024, 6)
    env.ctl("put", bucket, os.path.join(work, "old"), "--name", "f", "--no-progress")
    env.start_daemon(FAST_GC)
    left_garbage = 0
    for r in range(3):
        m = Mount(env)
        cp = subprocess.Popen(["cp", os.path.join(work, "new"), m.path(bucket, "f")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.3, 1.2))
        m.proc.send_signal(signal.SIGKILL)
        m.gone()
        cp.wait(60)
        found, _ = env.garbage(bucket)
        left_garbage += len(found["orphans"])
        expect_old_or_new(env, bucket, "f", {old_sha, new_sha})
        took, _ = env.wait_clean(bucket)
        log("natss3fs killed during cp (round %d): %d orphans, clean %.1fs later" %
            (r, len(found["orphans"]), took))
    check(left_garbage > 0, "no kill hit an upload in progress: the rounds proved nothing")
    for point in ["rename.after_marker", "rename.after_target"]:
        env.ctl("put", bucket, os.path.join(work, "old"), "--name", "from", "-f", "--no-progress")
        m = Mount(env, crash_at=point)
        mv = subprocess.Popen(["mv", m.path(bucket, "from"), m.path(bucket, "to")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        m.gone()  # natss3fs dies at the crash point while mv waits for its answer
        check(mv.wait(30) != 0, "mv succeeded although natss3fs crashed during it")
        # Old or new name, never both and never neither, once the collector resolved it.
        took, _ = env.wait_clean(bucket)
        names = [n for n in ("from", "to") if env.object_sha(bucket, n) == old_sha]
        check(len(names) == 1, "after a crash at %s the data is under %s" % (point, names))
        check(names == (["to"] if point == "rename.after_target" else ["from"]),
              "rename crashed at %s resolved to %s" % (point, names))
        log("natss3fs %s: resolved to %s, clean %.1fs later" % (point, names[0], took))
        env.ctl("rm", bucket, names[0], "-f")


def scenario_default_timing(env):
    """The issue's measurement at default settings: kill -9 of natss3d 2.5 s into five
    large PUTs and a multipart upload; reclamation must finish within 2 minutes of restart."""
    bucket = "deftiming"
    env.ctl("add", bucket)
    env.start_daemon()
    work = os.path.join(env.work, "files")
    os.makedirs(work, exist_ok=True)
    files = make_files(work, ["big%d" % i for i in range(5)], 300 * 1024 * 1024)
    threads, allowed = s3_load(env, bucket, files)
    time.sleep(2.5)
    env.kill_daemon()
    for t in threads:
        t.join(60)
    found, report = env.garbage(bucket)
    orphan_bytes = sum(o["bytes"] for o in found["orphans"])
    log("after kill -9: %d orphan subjects, ~%d bytes" % (len(found["orphans"]), orphan_bytes))
    check(found["orphans"], "the kill hit no upload in progress")
    for key, ok in allowed.items():
        expect_old_or_new(env, bucket, key, ok)
    env.start_daemon()
    took, report = env.wait_clean(bucket, deadline_s=150)
    log("default settings: clean %.1fs after restart (stream %d -> %d bytes)" %
        (took, report["stream_bytes_before"], report["stream_bytes_after"]))
    check(took <= 125, "reclamation took %.1fs, the documented bound is 2 minutes" % took)


SCENARIOS = {
    "s3d_random_kill": scenario_s3d_random_kill,
    "s3d_injected": scenario_s3d_injected,
    "ctl_kill": scenario_ctl_kill,
    "fuse_kill": scenario_fuse_kill,
    "default_timing": scenario_default_timing,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    random.seed(args.seed)
    log("scenario %s, seed %d" % (args.scenario, args.seed))
    work = tempfile.mkdtemp(prefix="natss3-crash-")
    env = Env(args.bin_dir, work)
    try:
        SCENARIOS[args.scenario](env)
    except Failure as e:
        log("FAIL:", e)
        try:
            with open(env.daemon_log, "rb") as f:
                sys.stdout.write(f.read()[-4000:].decode(errors="replace"))
        except OSError:
            pass
        return 1
    finally:
        env.close()
        for d in os.listdir(work):
            if d.startswith("crashmnt"):
                subprocess.run(["fusermount3", "-uz", os.path.join(work, d)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs a peer S3 client's own test suite against a natss3d started for the run, and compares
the outcome with a committed list of known failures.

Suites (both from Debian packages, built offline in GOPATH mode with Debian's Go):
  minio-go  minio-go v7 functional_tests.go (golang-github-minio-minio-go-v7-dev), MINT_MODE=full
  rclone    rclone's backend/s3 tests (fstest/fstests) and its fs/operations and fs/sync tests
            through the s3 remote (golang-github-rclone-rclone-dev),
            against two remotes: provider Minio (ListObjectsV2, URL-encoded listings) and
            provider Other (ListObjects V1, no encoding-type)

The expected file lists, one per line, `<test> <FAIL|NA> <reason>` for each test known not to
pass, and `@min-tests <n>`: fewer tests reported than that means the suite stopped early.
Exit status: 0 when every test ends exactly as listed, 1 on a new failure, on a listed test that
now passes or is NA instead of FAIL (the list must shrink as fixes land: edit it), or an aborted
suite, 77 when the suite's Debian package or Go is missing (ctest SKIP_RETURN_CODE).

Usage: peer_suite.py --suite minio-go|rclone --natss3d BIN --work DIR --expected FILE
                     [--build-timeout S] [--run-timeout S] [--write-expected FILE]
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness_common import free_port  # noqa: E402

GOCODE = "/usr/share/gocode"
MINIO_SRC = GOCODE + "/src/github.com/minio/minio-go/v7/functional_tests.go"
# The packages rclone's own integration runner (fstest/test_all) tests against each remote:
# the backend's fstests, then operations and sync through it. Short name, import path.
RCLONE_PKGS = (("s3", "github.com/rclone/rclone/backend/s3"),
               ("operations", "github.com/rclone/rclone/fs/operations"),
               ("sync", "github.com/rclone/rclone/fs/sync"))
RCLONE_SRC = GOCODE + "/src/github.com/rclone/rclone/backend/s3"
SKIP = 77
# Outcome order: a test's worst line wins, and a result worse than the listed one is new.
RANK = {"PASS": 0, "SKIP": 0, "NA": 1, "FAIL": 2}


def log(msg):
    print(msg, flush=True)


def go_env(work, gopath_first):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GO111MODULE="off", GOPROXY="off", GOFLAGS="", GOTOOLCHAIN="local",
               GOPATH=gopath_first + ":" + GOCODE, GOCACHE=os.path.join(work, "gocache"))
    return env


def run_bounded(argv, timeout, **kwargs):
    """Runs argv in its own process group; kills the whole group at the deadline.
    Returns (returncode or None on timeout, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        rc = None
    return rc, time.monotonic() - start


def build(argv, cwd, env, timeout, what, work):
    out_path = os.path.join(work, "build-" + re.sub(r"\W+", "-", what) + ".log")
    with open(out_path, "w") as out:
        rc, took = run_bounded(argv, timeout, cwd=cwd, env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    text = open(out_path).read()
    if rc != 0:
        log(f"peer: building {what} " + ("timed out" if rc is None else f"failed (exit {rc})") +
            f" after {took:.0f}s:\n{text[-4000:]}")
        sys.exit(1)
    log(f"peer: built {what} in {took:.0f}s")


def build_minio(work, timeout):
    gopath = os.path.join(work, "gopath")
    src_dir = os.path.join(gopath, "src", "natss3peer", "miniogo")
    os.makedirs(src_dir, exist_ok=True)
    # functional_tests.go is `package main` behind the `mint` build tag, in the library's own
    # directory: copied out without the constraint it builds as a program of its own.
    with open(MINIO_SRC) as f:
        lines = f.readlines()
    kept = [l for l in lines[:5] if not re.match(r"^//(go:build| \+build) ", l)] + lines[5:]
    main_go = os.path.join(src_dir, "main.go")
    text = "".join(kept)
    if not os.path.exists(main_go) or open(main_go).read() != text:
        with open(main_go, "w") as f:
            f.write(text)
    binary = os.path.join(work, "minio-go-functional")
    build(["go", "build", "-o", binary, "."], src_dir, go_env(work, gopath), timeout,
          "minio-go", work)
    return binary


def build_rclone(work, timeout):
    gopath = os.path.join(work, "gopath")
    os.makedirs(gopath, exist_ok=True)
    binaries = {}
    deadline = time.monotonic() + timeout
    for short, package in RCLONE_PKGS:
        binaries[short] = os.path.join(work, f"rclone-{short}.test")
        build(["go", "test", "-c", "-o", binaries[short], package], work, go_env(work, gopath),
              max(1, int(deadline - time.monotonic())), f"rclone {short} tests", work)
    return binaries


class Natss3d:
    def __init__(self, binary, run_dir, log_path, extra=()):
        os.makedirs(run_dir, exist_ok=True)
        self.port = free_port()
        alphabet = string.ascii_uppercase + string.digits
        self.access_key = "PEER" + "".join(secrets.choice(alphabet) for _ in range(16))
        self.secret_key = secrets.token_urlsafe(30)[:40]
        creds = os.path.join(run_dir, "credentials.json")
        with open(creds, "w") as f:
            json.dump({"credentials": [{"access_key": self.access_key,
                                        "secret_key": self.secret_key,
                                        "read": ["*"], "write": ["*"],
                                        # minio-go's object lock tests bypass governance.
                                        "bypass_governance": ["*"]}]}, f)
        self.log_path = log_path
        self.data_dir = os.path.join(run_dir, "data")
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{self.port}", "--data-dir",
             self.data_dir, "--credentials", creds, "--access-log", "true", *extra],
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        log("peer: natss3d did not start:\n" + open(log_path).read()[-4000:])
        sys.exit(1)

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        """Stops natss3d; returns its exit status if it had died before, else None."""
        died = self.proc.poll()
        if died is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # Not a failure of the suite, but worth seeing (see FINDINGS.md).
                log(f"peer: WARNING: natss3d ({self.log_path}) had not exited 20 s after "
                    "SIGTERM; killed")
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log_file.close()
        # natss3d stops its embedded nats-server on SIGTERM; should it have died first, the
        # server (in a process group of its own) is found by its config under our data dir.
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if pid.isdigit() and argv[0].endswith(b"nats-server") and any(
                    a.startswith(self.data_dir.encode()) for a in argv):
                os.kill(int(pid), signal.SIGKILL)
        return died


def client_env(work):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "RCLONE_", "MINIO_", "GO"))}
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env["TMPDIR"] = tmp
    return env


# ---- minio-go ---------------------------------------------------------------------------------

def run_minio_pass(binary, daemon, work, timeout, cert=None):
    """One run of the suite; with `cert` over HTTPS (adds the SSE-C tests, TLS-only)."""
    scheme = "https" if cert else "http"
    env = client_env(work)
    # KMS on: the SSE-S3 tests (x-amz-server-side-encoding: AES256) run too.
    env.update(SERVER_ENDPOINT=daemon.endpoint, ACCESS_KEY=daemon.access_key,
               SECRET_KEY=daemon.secret_key, ENABLE_HTTPS="1" if cert else "0", ENABLE_KMS="1",
               MINT_MODE="full", RUN_ON_FAIL="1")
    if cert:
        env["SSL_CERT_FILE"] = cert
    out_path = os.path.join(work, f"minio-go-{scheme}.out")
    err_path = os.path.join(work, f"minio-go-{scheme}.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        rc, took = run_bounded([binary], timeout, cwd=work, env=env, stdout=out, stderr=err)
    results, order, aborted = {}, [], None
    last, current, seen = None, None, set()
    for line in open(out_path, errors="replace"):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        name = d.get("name", "?").replace("minio-go: ", "")
        # Some names are logged by a V2 and a V4 variant of the test at different places in
        # the run: a name seen again after another test is a new instance (name#2).
        if name != last:
            last, current, n = name, name, 1
            while current in seen:
                n += 1
                current = f"{name}#{n}"
            seen.add(current)
        name = current
        status = d.get("status")
        status = status if status in ("PASS", "FAIL", "NA") else "FAIL"
        reason = " | ".join(str(d[k]) for k in ("function", "message", "error", "alert")
                            if d.get(k))
        if name not in results:
            order.append(name)
            results[name] = (status, reason)
        elif RANK[status] > RANK[results[name][0]]:
            results[name] = (status, reason)
    if rc is None:
        aborted = f"{scheme}: timed out after {timeout}s"
    elif rc != 0:
        aborted = f"{scheme}: exited {rc}: " + open(err_path, errors="replace").read()[-3000:]
    log(f"peer: minio-go over {scheme} ran in {took:.0f}s")
    return results, order, aborted


def self_signed(tls_dir):
    os.makedirs(tls_dir, exist_ok=True)
    cert, key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def run_minio(binary, natss3d, work, timeout):
    """The whole suite over HTTP, then over HTTPS for the tests only TLS runs (SSE-C); the
    tests the HTTPS pass repeats are not counted twice. Returns results, order, aborted."""
    deadline = time.monotonic() + timeout
    run_dir = os.path.join(work, "run")
    died = []
    daemon = Natss3d(natss3d, os.path.join(run_dir, "http"), os.path.join(work, "natss3d.log"))
    try:
        results, order, aborted = run_minio_pass(binary, daemon, work, timeout)
    finally:
        died.append(daemon.stop())
    left = int(deadline - time.monotonic())
    if not aborted and shutil.which("openssl") and left > 10:
        cert, key = self_signed(os.path.join(run_dir, "tls"))
        daemon = Natss3d(natss3d, os.path.join(run_dir, "https"),
                         os.path.join(work, "natss3d-https.log"),
                         ["--tls-cert", cert, "--tls-key", key])
        try:
            r, o, aborted = run_minio_pass(binary, daemon, work, left, cert)
        finally:
            died.append(daemon.stop())
        for name in o:
            if name not in results:
                results[name] = r[name]
                order.append(name)
    if any(d is not None for d in died):
        aborted = (aborted + "; " if aborted else "") + "natss3d died during the run"
    return results, order, aborted


# ---- rclone -----------------------------------------------------------------------------------

RCLONE_REMOTES = (("Minio", "Minio"), ("Other", "Other"))
GO_RESULT = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \(")
# testify's location lines, not the failure itself.
NOISE = re.compile(r"^(Error Trace:|Test:|/\S+\.go:\d+$|\S+\.go:\d+:$)")
GO_RUN = re.compile(r"^\s*=== (RUN|CONT|PAUSE|NAME)\s+(\S+)")


def parse_go_test(path, prefix):
    statuses, blocks, order = {}, {}, []
    current = None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = GO_RUN.match(line)
        if m:
            current = m.group(2)
            blocks.setdefault(current, [])
            continue
        m = GO_RESULT.match(line)
        if m:
            statuses[m.group(2)] = m.group(1)
            if m.group(2) not in order:
                order.append(m.group(2))
            current = None
            continue
        if current is not None:
            blocks[current].append(line)
    results, names = {}, set(statuses)
    for name in order:
        status = statuses[name]
        children = [n for n in names if n.startswith(name + "/")]
        if children:
            # A parent fails when a subtest does; it counts only when it failed on its own.
            if status != "FAIL" or any(statuses[c] == "FAIL" for c in children):
                continue
        text = [re.sub(r"\s+", " ", l.strip()) for l in blocks.get(name, [])]
        text = [l for l in text if l and not NOISE.match(l)]
        first_error = next((i for i, l in enumerate(text) if l.startswith("Error:")), 0)
        text = text[first_error:]
        reason = " / ".join(text[:6])[:600]
        results[f"{prefix}/{name}"] = (status, reason)
    # Tests that started but never reported (a panic or the deadline).
    for name in blocks:
        if name not in statuses and not any(n.startswith(name + "/") for n in blocks if n != name):
            results[f"{prefix}/{name}"] = ("FAIL", "did not finish: " + " / ".join(
                l.strip() for l in blocks[name][-6:] if l.strip())[:600])
    return results, [f"{prefix}/{n}" for n in order if f"{prefix}/{n}" in results]


def run_rclone(binaries, daemon, work, timeout):
    run_dir = os.path.join(work, "rclone-run")
    # fstests insists on running inside an rclone tree: it looks for fstest/testserver/init.d
    # (scripts that start local servers for other backends; none is needed here).
    os.makedirs(os.path.join(run_dir, "fstest", "testserver", "init.d"), exist_ok=True)
    config = os.path.join(work, "rclone.conf")
    with open(config, "w") as f:
        for name, provider in RCLONE_REMOTES:
            f.write(f"[TestS3{name}]\ntype = s3\nprovider = {provider}\n"
                    f"access_key_id = {daemon.access_key}\n"
                    f"secret_access_key = {daemon.secret_key}\n"
                    f"endpoint = http://{daemon.endpoint}\nregion = us-east-1\n\n")
    env = client_env(work)
    env["RCLONE_CONFIG"] = config
    env["HOME"] = run_dir
    results, order, aborted = {}, [], None
    deadline = time.monotonic() + timeout
    runs = [(name, short) for name, _ in RCLONE_REMOTES for short, _ in RCLONE_PKGS]
    for name, short in runs:
        what = f"{name}/{short}"
        left = int(deadline - time.monotonic())
        out_path = os.path.join(work, f"rclone-{name}-{short}.out")
        if left < 10:
            aborted = f"no time left for {what}"
            break
        with open(out_path, "w") as out:
            rc, took = run_bounded([binaries[short], "-test.v", f"-test.timeout={left + 60}s",
                                    "-remote", f"TestS3{name}:"], left, cwd=run_dir, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
        log(f"peer: rclone {what} ran in {took:.0f}s")
        r, o = parse_go_test(out_path, what)
        results.update(r)
        order += o
        text = open(out_path, errors="replace").read()
        if rc is None:
            aborted = f"{what}: timed out after {left}s"
            break
        if rc not in (0, 1) or "\npanic: " in text:
            aborted = f"{what}: exited {rc}:\n" + text[-3000:]
            break
    return results, order, aborted


# ---- comparison -------------------------------------------------------------------------------

def read_expected(path):
    expected, min_tests = {}, 0
    for raw in open(path):
        line = raw.strip()  # test names may hold '#': only whole lines are comments
        if not line or line.startswith("#"):
            continue
        if line.startswith("@min-tests"):
            min_tests = int(line.split()[1])
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1] not in ("FAIL", "NA"):
            raise SystemExit(f"{path}: bad line: {raw.rstrip()}")
        expected[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return expected, min_tests


def compare(suite, results, order, aborted, expected, min_tests):
    counts = {}
    for status, _ in results.values():
        counts[status] = counts.get(status, 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in ("PASS", "FAIL", "NA", "SKIP") if s in counts)
    log(f"peer {suite}: {len(results)} tests: {summary}; {len(expected)} listed as known")
    new, fixed, better = [], [], []
    for name in order:
        status, reason = results[name]
        want = expected.get(name, ("PASS", ""))[0]
        if RANK[status] > RANK[want]:
            new.append((name, status, reason))
        elif RANK[status] < RANK[want]:
            (fixed if RANK[status] == 0 else better).append((name, status, expected[name]))
    missing = [n for n in expected if n not in results]
    failed = False
    if new:
        failed = True
        log(f"\nNEW FAILURES ({len(new)}, not in the expected list):")
        for name, status, reason in new:
            log(f"  {name}  {status}  {reason}")
    if fixed:
        failed = True  # the list must shrink as fixes land
        log(f"\nNOW PASSING ({len(fixed)}; remove these lines from the expected list):")
        for name, status, (want, why) in fixed:
            log(f"  {name}  (listed {want}: {why})")
    if better:
        failed = True
        log(f"\nNOW NA INSTEAD OF FAIL ({len(better)}; change FAIL to NA in the list):")
        for name, status, (want, why) in better:
            log(f"  {name}  (listed {want}: {why})")
    if missing:
        log(f"\nLISTED BUT NOT RUN ({len(missing)}): " + ", ".join(missing))
    if len(results) < min_tests:
        failed = True
        log(f"\nONLY {len(results)} TESTS REPORTED, expected at least {min_tests}")
    if aborted:
        failed = True
        log(f"\nSUITE ABORTED: {aborted}")
    return failed


def write_expected(path, suite, results, order, expected):
    with open(path, "w") as f:
        f.write(f"# Known failures of the {suite} peer suite against natss3d: <test> <FAIL|NA> "
                "<reason>.\n")
        f.write(f"@min-tests {len(results) * 9 // 10}\n")
        for name in order:
            status, reason = results[name]
            if status in ("FAIL", "NA"):
                why = expected.get(name, (None, reason))[1] or reason
                f.write(f"{name} {status} {why}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True, choices=("minio-go", "rclone"))
    ap.add_argument("--natss3d", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--build-timeout", type=int, default=420)
    ap.add_argument("--run-timeout", type=int, default=480)
    ap.add_argument("--write-expected")
    args = ap.parse_args()

    src = MINIO_SRC if args.suite == "minio-go" else RCLONE_SRC
    if not shutil.which("go") or not os.path.exists(src):
        pkg = ("golang-github-minio-minio-go-v7-dev" if args.suite == "minio-go"
               else "golang-github-rclone-rclone-dev")
        log(f"peer: skipped: needs golang-go and {pkg} (scripts/deps.sh test installs them)")
        return SKIP
    if not shutil.which("nats-server"):
        log("peer: skipped: needs nats-server")
        return SKIP
    work = os.path.abspath(os.path.join(args.work, args.suite))
    os.makedirs(work, exist_ok=True)
    if args.suite == "minio-go":
        binary = build_minio(work, args.build_timeout)
    else:
        binaries = build_rclone(work, args.build_timeout)

    run_dir = os.path.join(work, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(os.path.join(work, "tmp"), ignore_errors=True)
    os.makedirs(run_dir)
    # $NATSS3D_UNDER_TEST names another binary (e.g. an older build), as for the e2e tests.
    natss3d = os.environ.get("NATSS3D_UNDER_TEST") or args.natss3d
    if args.suite == "minio-go":
        results, order, aborted = run_minio(binary, natss3d, work, args.run_timeout)
    else:
        daemon = Natss3d(natss3d, run_dir, os.path.join(work, "natss3d.log"))
        try:
            results, order, aborted = run_rclone(binaries, daemon, work, args.run_timeout)
        finally:
            died = daemon.stop()
        if died is not None:
            aborted = ((aborted + "; " if aborted else "") +
                       f"natss3d died during the run (status {died})")
    expected, min_tests = read_expected(args.expected)
    if args.write_expected:
        write_expected(args.write_expected, args.suite, results, order, expected)
    failed = compare(args.suite, results, order, aborted, expected, min_tests)
    log(f"\npeer: suite output and natss3d.log (access log) are in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the process-level harnesses (tests/crash, tests/cluster) share: logging, free loopback
ports, child processes that die with the harness (nats-server, natss3d, natss3ctl), checks that
fail with a message, random files and their SHA-256.

Import it with tests/support on sys.path (the harnesses add it relative to their own file, as
ctest runs them from the source tree).
"""
import hashlib
import os
import random
import signal
import socket
import subprocess
import time


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def free_port():
    """A free loopback port below Linux's ephemeral range (32768-60999). A port from that range
    (what binding port 0 gives) can be taken by any client connection's local end between this
    check and the server's bind: CI once saw a cluster node fail to start so."""
    rnd = random.SystemRandom()
    for _ in range(100):
        port = rnd.randrange(20000, 32768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def die_with_parent():
    """preexec_fn of every child: SIGKILL when the harness dies, and its own session."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setsid()


def random_file(path, size, seed):
    """Writes `size` pseudo-random bytes (from `seed`) to `path`; returns their SHA-256."""
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rnd.randbytes(n))
            left -= n
    with open(path, "rb") as f:
        return sha(f.read())


def start_nats_server(port, store, extra=(), log_path=None, name="nats-server"):
    """nats-server with JetStream on 127.0.0.1:`port`, its store in `store`; stderr appended to
    `log_path` (or dropped). Fails unless the port opens."""
    argv = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store] + list(extra)
    stderr = open(log_path, "ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr,
                            preexec_fn=die_with_parent)
    check(wait_port(port), "%s did not start" % name)
    return proc


def start_natss3d(bin_dir, nats_urls, data_dir, log_path, extra=(), env=None, name="natss3d"):
    """natss3d (anonymous access, no access log) on a free loopback port against `nats_urls`;
    stderr appended to `log_path`. Returns (process, port); fails unless the port opens."""
    port = free_port()
    argv = [os.path.join(bin_dir, "s3d", "natss3d"), "--listen", "127.0.0.1:%d" % port,
            "--nats-servers", nats_urls, "--anonymous", "--data-dir", data_dir,
            "--access-log", "false"] + list(extra)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"),
                            env=env, preexec_fn=die_with_parent)
    check(wait_port(port), "%s did not start" % name)
    return proc, port


def stop_process(proc, timeout=20):
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_ctl(bin_dir, nats_urls, home, args, env=None, check_rc=True, timeout=60):
    """natss3ctl `args` against `nats_urls` with HOME=`home` (no inherited crash point); fails
    on a non-zero exit unless check_rc is False. Returns the CompletedProcess."""
    full_env = dict(os.environ, NATS_URL=nats_urls, HOME=home)
    full_env.pop("NATSS3_CRASH_AT", None)
    if env:
        full_env.update(env)
    r = subprocess.run([os.path.join(bin_dir, "cli", "natss3ctl")] + list(args),
                       capture_output=True, env=full_env, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise Failure("natss3ctl %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                      r.stderr.decode(errors="replace")))
    return r


def abort_fuse_connection(minor):
    """Aborts a killed natss3fs's FUSE connection (fusectl): a daemon killed while the kernel
    waits on it (a rename holding a directory lock) would otherwise stay a zombie."""
    conns = "/sys/fs/fuse/connections"
    if not os.listdir(conns):
        subprocess.run(["mount", "-t", "fusectl", "fusectl", conns], capture_output=True)
    if minor is not None and os.path.exists(os.path.join(conns, str(minor), "abort")):
        with open(os.path.join(conns, str(minor), "abort"), "w") as f:
            f.write("1")

#!/usr/bin/env python3
"""Well-behaved S3 clients for natss3d's soak test: N boto3 threads doing mixed PUT, GET,
LIST, DELETE and multipart uploads for a fixed time, with no retries (every failure counts),
then a SHA-256 check of every object the server acknowledged. Prints one JSON summary line;
exits 1 on any failed request or corrupt object."""
import hashlib
import json
import os
import random
import sys
import threading
import time

import boto3
from botocore.config import Config

endpoint, access_key, secret_key, bucket = sys.argv[1:5]
duration = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 64

config = Config(retries={"total_max_attempts": 1}, max_pool_connections=2,
                connect_timeout=10, read_timeout=60, s3={"addressing_style": "path"},
                signature_version="s3v4")
session = boto3.session.Session()


def make_client():
    return session.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                          aws_secret_access_key=secret_key, region_name="us-east-1",
                          config=config)


lock = threading.Lock()
ops = {"put": 0, "get": 0, "list": 0, "delete": 0, "multipart": 0}
failures = []
expected = {}  # key -> sha256 hex of what the server acknowledged


def sha(data):
    return hashlib.sha256(data).hexdigest()


def worker(index, client, deadline):
    rng = random.Random(index)
    live = {}
    counter = 0
    multiparts = 0
    while time.monotonic() < deadline:
        roll = rng.random()
        op = "put"
        if live and roll < 0.30:
            op = "get"
        elif roll < 0.40:
            op = "list"
        elif live and (roll < 0.50 or len(live) >= 20):
            op = "delete"
        elif index % 8 == 0 and multiparts < 2 and roll > 0.97:
            op = "multipart"
        try:
            if op == "put":
                counter += 1
                key = "t%d/k%d" % (index, counter)
                data = os.urandom(rng.randrange(0, 16384))
                client.put_object(Bucket=bucket, Key=key, Body=data)
                live[key] = sha(data)
            elif op == "get":
                key = rng.choice(list(live))
                body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                if sha(body) != live[key]:
                    raise RuntimeError("GET %s returned other content" % key)
            elif op == "list":
                got = client.list_objects_v2(Bucket=bucket, Prefix="t%d/" % index)
                keys = {o["Key"] for o in got.get("Contents", [])}
                if keys != set(live):
                    raise RuntimeError("LIST t%d/: %d keys, expected %d" % (index, len(keys), len(live)))
            elif op == "delete":
                key = rng.choice(list(live))
                client.delete_object(Bucket=bucket, Key=key)
                del live[key]
            else:
                multiparts += 1
                counter += 1
                key = "t%d/mp%d" % (index, counter)
                parts = [os.urandom(5 << 20), os.urandom(rng.randrange(1, 65536))]
                upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
                etags = []
                for number, part in enumerate(parts, 1):
                    r = client.upload_part(Bucket=bucket, Key=key, UploadId=upload,
                                           PartNumber=number, Body=part)
                    etags.append({"ETag": r["ETag"], "PartNumber": number})
                client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                                 MultipartUpload={"Parts": etags})
                live[key] = sha(b"".join(parts))
            with lock:
                ops[op] += 1
        except Exception as e:  # every failure of a well-behaved client is a finding
            with lock:
                failures.append("%s: %r" % (op, e))
    with lock:
        expected.update(live)


def main():
    clients = [make_client() for _ in range(threads)]
    deadline = time.monotonic() + duration
    pool = [threading.Thread(target=worker, args=(i, clients[i], deadline)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    # Every acknowledged object intact.
    verified, corrupt = 0, []
    checker = clients[0]
    for key, digest in sorted(expected.items()):
        try:
            body = checker.get_object(Bucket=bucket, Key=key)["Body"].read()
            if sha(body) == digest:
                verified += 1
            else:
                corrupt.append(key)
        except Exception as e:
            corrupt.append("%s: %r" % (key, e))
    summary = {"ops": ops, "requests": sum(ops.values()), "failures": len(failures),
               "failure_samples": failures[:10], "objects": len(expected),
               "verified": verified, "corrupt": corrupt[:10]}
    print(json.dumps(summary), flush=True)
    return 0 if not failures and not corrupt and verified == len(expected) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""boto3 against natss3d over HTTPS, where botocore sends its CRC32 in an aws-chunked trailer
(over plain HTTP it uses a header): the checksum must be stored and come back on HEAD/GET with
ChecksumMode=ENABLED (botocore then validates the body against it); also Range handling.
Usage: boto3_checksums.py ENDPOINT BUCKET (credentials from AWS_*). Exits non-zero on failure."""
import base64
import os
import sys
import zlib

import urllib3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from s3_clients import client  # noqa: E402

urllib3.disable_warnings()
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = client(endpoint, verify=False, retries={"max_attempts": 1})
sent = []
s3.meta.events.register("before-send.s3.PutObject",
                        lambda request, **kw: sent.append(dict(request.headers)))


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


s3.create_bucket(Bucket=bucket)
for size in (1000, 300_000, 2_000_000):  # below and above natss3d's 256 KiB write slice
    body = os.urandom(size)
    key = f"trailer/{size}"
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    headers = {k.lower(): v for k, v in sent[-1].items()}
    trailer = headers.get("x-amz-trailer", b"")
    assert trailer in (b"x-amz-checksum-crc32", "x-amz-checksum-crc32"), f"no trailer: {headers}"
    assert put["ChecksumCRC32"] == crc32_b64(body), put
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32") == crc32_b64(body), f"{size}: HEAD {head}"
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got.get("ChecksumCRC32") == crc32_b64(body), f"{size}: GET {got}"
    assert got["Body"].read() == body  # botocore validates the CRC32 while reading
    plain = s3.head_object(Bucket=bucket, Key=key)
    assert "ChecksumCRC32" not in plain, plain

key = "trailer/300000"
full = s3.get_object(Bucket=bucket, Key=key, Range="bytes=9-3")
assert full["ResponseMetadata"]["HTTPStatusCode"] == 200 and full["ContentLength"] == 300_000
try:
    s3.get_object(Bucket=bucket, Key=key, Range="bytes=300000-")
    raise AssertionError("unsatisfiable range served")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidRange", e.response
print("boto3 checksums OK")
